"""Cheaper requests: sessions in a cache that may be down, templates parsed once, forms that
are the same for everyone rendered once, one reverse() per list, the header from the session.
"""

import contextlib
import datetime
import logging
import os
import re
import socket
import threading
import uuid

import pytest
import redis
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.template import Template, engines
from django.template.context import Context
from django.template.loaders import app_directories, cached, filesystem
from django.test import Client
from django.urls import reverse, set_script_prefix

from portal.cache import ResilientRedisCache
from repairs.lifecycle import Status

from . import factories

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL")


def log_in(client: Client, user) -> None:
    """As a tenant does: the login form, posted."""
    response = client.post(
        reverse("login"), {"username": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]


def redis_sessions(settings, location: str, **extra) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            **extra,
        },
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


@pytest.fixture
def closed_port() -> int:
    """A port on the loopback that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Templates: parsed once per process.


def test_templates_are_parsed_once_and_found_in_the_project_and_the_apps():
    # given the production template settings
    engine = engines["django"].engine

    # then one cached loader wraps the project's folder and the apps' folders
    (loader,) = engine.template_loaders
    assert isinstance(loader, cached.Loader)
    assert [type(inner) for inner in loader.loaders] == [
        filesystem.Loader,
        app_directories.Loader,
    ]
    # and a template is parsed once: the second look-up is the same object
    assert engine.get_template("base.html") is engine.get_template("base.html")
    assert engine.get_template("admin/base_site.html") is engine.get_template(
        "admin/base_site.html"
    )


# Sessions on Redis: an outage must not fail a page.


def test_djangos_own_redis_cache_fails_a_page_when_redis_is_down(
    settings, closed_port, chain, client
):
    """Why portal.cache exists: cached_db lets the cache's ConnectionError through."""
    # given a logged-in tenant, and then Django's RedisCache at a port nothing listens on
    client.force_login(chain.tenant)
    redis_sessions(settings, f"redis://127.0.0.1:{closed_port}/15")
    settings.CACHES["default"]["BACKEND"] = "django.core.cache.backends.redis.RedisCache"
    with pytest.raises(redis.exceptions.ConnectionError):
        RedisCache(f"redis://127.0.0.1:{closed_port}/15", {}).get("anything")

    # when the tenant opens a page, then the request fails
    with pytest.raises(redis.exceptions.ConnectionError):
        client.get(reverse("my_repairs"))


def test_with_redis_down_tenants_log_in_use_pages_and_log_out(
    settings, closed_port, chain, client, caplog
):
    # given sessions on a Redis that is down
    redis_sessions(settings, f"redis://:s3cret@127.0.0.1:{closed_port}/15")
    factories.RepairRequestFactory(
        dwelling=chain.dwelling, tenancy=chain.tenancy, category=chain.category
    )
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    # when the tenant logs in, opens pages and logs out
    with caplog.at_level(logging.WARNING, logger="portal.cache"):
        log_in(client, chain.tenant)
        pages = [client.get(reverse("my_repairs")) for _ in range(3)]
        logged_out = client.post(reverse("logout"))
        after = client.get(reverse("my_repairs"))

    # then every page worked from the database
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert "Tap leaks" in pages[-1].content.decode()
    # and the logout holds
    assert logged_out.status_code == 302
    assert after.status_code == 302 and after["Location"].startswith(reverse("login"))
    # and the outage was logged once, not once per request
    outage = [r for r in caplog.records if r.name == "portal.cache" and "unreachable" in r.msg]
    assert len(outage) == 1
    # naming the server, not its password
    assert f"127.0.0.1:{closed_port}" in outage[0].getMessage()
    assert "s3cret" not in outage[0].getMessage()


class RedisRelay:
    """A TCP relay to Redis that can be cut and restored, as a network outage would be."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                near, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                near.close()
                continue
            far = socket.create_connection(self.target)
            self.sockets += [near, far]
            threading.Thread(target=self._pump, args=(near, far), daemon=True).start()
            threading.Thread(target=self._pump, args=(far, near), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            end.close()

    def cut(self):
        self.up = False
        for end in self.sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()
        self.sockets = []

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.listener.close()


@pytest.fixture
def relay():
    target = redis.Redis.from_url(REDIS_URL).connection_pool.connection_kwargs
    relay = RedisRelay(target.get("host", "127.0.0.1"), target.get("port", 6379))
    yield relay
    relay.close()


@needs_redis
def test_a_logout_during_an_outage_still_holds_when_redis_is_back(
    settings, relay, chain, monkeypatch
):
    # given sessions on Redis, reached through a line that can be cut
    database = redis.Redis.from_url(REDIS_URL).connection_pool.connection_kwargs.get("db", 0)
    redis_sessions(
        settings, f"redis://127.0.0.1:{relay.port}/{database}", KEY_PREFIX=uuid.uuid4().hex
    )
    monkeypatch.setattr(ResilientRedisCache, "RETRY_AFTER", 0.0)
    tenant = Client(HTTP_ACCEPT_LANGUAGE="en")
    log_in(tenant, chain.tenant)
    assert tenant.get(reverse("my_repairs")).status_code == 200
    cookie = settings.SESSION_COOKIE_NAME
    stolen = Client(HTTP_ACCEPT_LANGUAGE="en")
    stolen.cookies[cookie] = tenant.cookies[cookie].value  # a copy of the session cookie

    # when the tenant logs out while Redis cannot be reached, and Redis comes back
    relay.cut()
    assert tenant.post(reverse("logout")).status_code == 302
    relay.restore()

    # then the old session cookie opens nothing: its copy in Redis was deleted first
    response = stolen.get(reverse("my_repairs"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@needs_redis
def test_sessions_live_in_redis_and_survive_its_restart(settings, chain):
    # given sessions on Redis
    redis_sessions(settings, REDIS_URL, KEY_PREFIX=uuid.uuid4().hex)
    tenant = Client(HTTP_ACCEPT_LANGUAGE="en")
    log_in(tenant, chain.tenant)
    session_key = tenant.cookies[settings.SESSION_COOKIE_NAME].value
    assert cache.get(f"django.contrib.sessions.cached_db{session_key}") is not None

    # when Redis loses every key (a restart without persistence)
    cache.delete(f"django.contrib.sessions.cached_db{session_key}")

    # then the tenant is still logged in: the session is also in the database
    assert tenant.get(reverse("my_repairs")).status_code == 200


# Forms that are the same for everyone: rendered once per language.


def test_the_login_page_speaks_each_language_of_its_own():
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login")).content.decode()
    dutch = Client(HTTP_ACCEPT_LANGUAGE="nl").get(reverse("login")).content.decode()
    english_again = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login")).content.decode()

    assert "E-mail address" in english and "E-mail address" in english_again
    assert "E-mail address" not in dutch and "E-mailadres" in dutch


def test_a_failed_login_shows_its_error_only_to_that_visitor(db, chain):
    # given a visitor who mistyped the password
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    failed = visitor.post(reverse("login"), {"username": chain.tenant.email, "password": "x"})

    # when the next visitor opens the login page
    fresh = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login")).content.decode()

    # then only the first one saw the error and the typed address
    assert "do not match an account" in failed.content.decode()
    assert chain.tenant.email in failed.content.decode()
    assert "do not match an account" not in fresh
    assert chain.tenant.email not in fresh


def test_each_visitor_gets_a_csrf_token_that_works(db, chain):
    # given the login form rendered once for someone else
    Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login"))

    # when a visitor with CSRF checks on opens the page and logs in
    visitor = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    page = visitor.get(reverse("login")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = visitor.post(
        reverse("login"),
        {
            "username": chain.tenant.email,
            "password": factories.PASSWORD,
            "csrfmiddlewaretoken": token,
        },
    )

    # then the login works
    assert response.status_code == 302


# One reverse() per list.


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("claim_confirm", "abc-123"),
        ("claim_confirm", "a b:c?é&d"),
        ("visit_record", 42),
    ],
)
def test_a_url_pattern_filled_in_is_the_url_reverse_gives(name, value):
    template = Template("{% load portal_urls %}{% url_pattern name as url %}{{ url|fill:value }}")

    rendered = template.render(Context({"name": name, "value": value}, autoescape=False))

    assert rendered == reverse(name, args=[value])


def test_the_tenants_list_links_each_request_also_below_a_script_prefix(tenant_client, chain):
    # given three requests
    references = [
        factories.RepairRequestFactory(
            dwelling=chain.dwelling, tenancy=chain.tenancy, category=chain.category
        ).reference
        for _ in range(3)
    ]

    # when the tenant opens the list, at the root and below a prefix
    url = reverse("my_repairs")
    page = tenant_client.get(url).content.decode()
    set_script_prefix("/portaal/")  # what the WSGI handler does for SCRIPT_NAME=/portaal
    try:
        prefixed = tenant_client.get(url).content
    finally:
        set_script_prefix("/")

    # then each card links to its own request
    for reference in references:
        assert f'href="{reverse("repair_detail", args=[reference])}"' in page
        assert f'href="/portaal{reverse("repair_detail", args=[reference])}"' in prefixed.decode()


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (Status.SUBMITTED, "Received"),
        (Status.ROUTED, "Received"),
        (Status.UNROUTED, "Received, we will plan this"),
        (Status.SCHEDULED, "Planned"),
        (Status.FOLLOW_UP, "Another appointment is needed"),
        (Status.COMPLETED, "Solved"),
        (Status.CANCELLED, "Cancelled"),
        (Status.REJECTED, "Not for us to carry out"),
    ],
)
def test_the_tenant_reads_each_status_in_plain_words(tenant_client, chain, status, label):
    # given a request in this status
    repair_request = factories.RepairRequestFactory(
        dwelling=chain.dwelling,
        tenancy=chain.tenancy,
        category=chain.category,
        status=status,
        contract=chain.contract,
        contractor=chain.contractor,
    )

    # when the tenant opens the list and the request
    listed = tenant_client.get(reverse("my_repairs")).content.decode()
    detail = tenant_client.get(reverse("repair_detail", args=[repair_request.reference]))

    # then both say it the same way
    badge = re.compile(rf'<span class="badge[^"]*">\s*{re.escape(label)}\s*</span>')
    assert badge.search(listed)
    assert badge.search(detail.content.decode())


# The header: the tenant's association read once per five minutes, not on every page.


def test_the_header_names_the_association_and_follows_a_move(
    time_machine, tenant_client, chain, other_organisation
):
    # given a tenant of one association
    time_machine.move_to(datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC), tick=False)
    before = tenant_client.get(reverse("my_repairs")).content.decode()

    # when the tenant moves to a dwelling of another association, and five minutes pass
    other_organisation.emergency_phone = "0800 123 00 00"
    other_organisation.save(update_fields=["emergency_phone"])
    dwelling = factories.DwellingFactory(organisation=other_organisation, postcode="5612CD")
    factories.TenancyFactory(
        dwelling=dwelling,
        tenant=chain.tenant,
        start_date=chain.tenancy.start_date + datetime.timedelta(days=1),
    )
    time_machine.shift(datetime.timedelta(minutes=5, seconds=1))
    after = tenant_client.get(reverse("my_repairs")).content.decode()

    # then the header and the emergency number are the new association's
    assert f"– {chain.organisation.name}</title>" in before
    assert "Call 088 123 45 67, day and night" in before
    assert f"– {other_organisation.name}</title>" in after
    assert "Call 0800 123 00 00, day and night" in after


def test_the_header_costs_no_query_after_the_first_page(
    tenant_client, chain, django_assert_max_num_queries
):
    # given a tenant who has opened one page
    url = reverse("my_repairs")
    tenant_client.get(url)

    # when the tenant opens it again, then only the page's own questions are asked: session,
    # user, tenancy check, count, rows and their visits
    with django_assert_max_num_queries(6):
        response = tenant_client.get(url)
    assert f"– {chain.organisation.name}</title>" in response.content.decode()
