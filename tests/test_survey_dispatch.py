"""Survey dispatch in batches: due invitations are claimed a hundred at a time in one
transaction and mailed over one connection; a failed send keeps what went out and leaves
the rest for the next run, each mail still exactly once."""

import datetime
import email
import smtplib
import socket

import pytest
from django.core import mail
from django.core.mail.backends import locmem

from portal.models import SentMail
from surveys import services
from surveys.models import InvitationStatus, SurveyInvitation

from . import factories
from .queries import count_statements
from .test_survey_invitations import COMPLETED_AT, HOUR, build_url, completed_request

DUE = COMPLETED_AT + 2 * HOUR


class CountingBackend(locmem.EmailBackend):
    """The test outbox, counting connections, and failing on the n-th mail if asked."""

    opened = 0
    attempts = 0
    fail_at: int | None = None

    def open(self):
        CountingBackend.opened += 1
        return super().open()

    def send_messages(self, messages):
        for _message in messages:
            CountingBackend.attempts += 1
            if CountingBackend.attempts == CountingBackend.fail_at:
                raise smtplib.SMTPServerDisconnected("connection lost")
        return super().send_messages(messages)


@pytest.fixture
def backend(settings, mailoutbox):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.CountingBackend"}}
    CountingBackend.opened = CountingBackend.attempts = 0
    CountingBackend.fail_at = None
    return CountingBackend


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(DUE, tick=False)
    return time_machine


def invitations_due(chain, count: int, prefix: str = "huurder") -> list[SurveyInvitation]:
    """`count` invitations due now, each for its own completed request."""
    for n in range(count):
        completed_request(
            chain, tenant=factories.UserFactory(email=f"{prefix}{n}@example.nl", language="en")
        )
    services.survey_invitations_create(now=COMPLETED_AT)
    return list(SurveyInvitation.objects.order_by("pk"))


def test_a_hundred_and_one_invitations_go_out_in_two_batches_over_two_connections(
    clock, chain, backend
):
    # given
    invitations = invitations_due(chain, 101)

    # when
    sent = services.survey_invitations_send(now=DUE, build_url=build_url)

    # then every tenant got one mail; one connection per batch of a hundred
    assert services.BATCH_SIZE == 100
    assert sent == 101
    assert sorted(m.to[0] for m in mail.outbox) == sorted(i.email for i in invitations)
    assert backend.opened == 2
    assert SurveyInvitation.objects.filter(status=InvitationStatus.SENT, sent_at=DUE).count() == 101
    assert SentMail.objects.filter(key__startswith="survey-invitation-").count() == 101


def test_a_batch_takes_as_many_statements_for_one_invitation_as_for_a_full_batch(
    clock, chain, backend
):
    # given one invitation due, sent in a batch of up to 20; then 20 due
    invitations_due(chain, 1, prefix="een")
    one = count_statements(
        lambda: services.survey_invitations_send(now=DUE, build_url=build_url, batch_size=20)
    )
    invitations_due(chain, 20, prefix="twintig")

    # when
    full = count_statements(
        lambda: services.survey_invitations_send(now=DUE, build_url=build_url, batch_size=20)
    )

    # then: the claim, the mail keys read and written, the invitations and their months
    # marked (in a transaction); after a full batch, one more claim finds nothing
    assert len(mail.outbox) == 21
    assert one <= 10
    assert full == one + 3


def test_a_failed_send_keeps_what_went_out_and_sends_the_rest_later(clock, chain, backend):
    # given five invitations due, and a connection that drops at the third mail
    invitations = invitations_due(chain, 5)
    backend.fail_at = 3

    # when the task runs, and runs again
    with pytest.raises(smtplib.SMTPServerDisconnected):
        services.survey_invitations_send(now=DUE, build_url=build_url)
    after_failure = sorted(m.to[0] for m in mail.outbox)
    pending = SurveyInvitation.objects.filter(status=InvitationStatus.PENDING).count()
    keys = SentMail.objects.count()
    again = services.survey_invitations_send(now=DUE + HOUR, build_url=build_url)

    # then the two that went out are committed as sent; the other three go out once, later
    assert after_failure == sorted(i.email for i in invitations[:2])
    assert (pending, keys) == (3, 2)
    assert again == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(i.email for i in invitations)
    assert (
        list(SurveyInvitation.objects.order_by("pk").values_list("status", "sent_at"))
        == [(InvitationStatus.SENT, DUE)] * 2 + [(InvitationStatus.SENT, DUE + HOUR)] * 3
    )


def test_an_invitation_whose_mail_went_out_already_is_not_mailed_again(clock, chain, backend):
    # given three invitations due, the mail of the second recorded as sent already (say, by
    # a run whose status update was lost)
    invitations = invitations_due(chain, 3)
    SentMail.objects.create(
        key=f"survey-invitation-{invitations[1].pk}", recipient="x", subject="How did it go?"
    )

    # when
    sent = services.survey_invitations_send(now=DUE, build_url=build_url)

    # then it is marked as sent, without a second mail
    assert sent == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [invitations[0].email, invitations[2].email]
    )
    assert SurveyInvitation.objects.filter(status=InvitationStatus.SENT).count() == 3


def test_reminders_go_out_in_batches_too(clock, chain, backend):
    # given twelve invitations sent three days ago, unanswered
    invitations_due(chain, 12)
    services.survey_invitations_send(now=DUE, build_url=build_url)
    mail.outbox.clear()
    backend.opened = 0
    later = DUE + datetime.timedelta(days=3)

    # when reminding in batches of five, twice
    reminded = services.survey_reminders_send(now=later, build_url=build_url, batch_size=5)
    again = services.survey_reminders_send(now=later, build_url=build_url, batch_size=5)

    # then three batches over three connections, and nothing the second time
    assert (reminded, again) == (12, 0)
    assert len(mail.outbox) == 12
    assert all(m.subject.startswith("Reminder: how did the repair go?") for m in mail.outbox)
    assert backend.opened == 3
    assert SurveyInvitation.objects.filter(reminder_sent_at=later).count() == 12


class _Sink:
    """An SMTP server's handler that keeps what it received."""

    def __init__(self) -> None:
        self.connections = 0
        self.mails: list[tuple[list[str], bytes]] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.mails.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    controller_module = pytest.importorskip("aiosmtpd.controller")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = _Sink()
    controller = controller_module.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    yield sink
    controller.stop()


def test_a_batch_goes_to_an_smtp_server_over_one_connection(clock, chain, smtp_server):
    # given 101 invitations due
    invitations = invitations_due(chain, 101)

    # when
    sent = services.survey_invitations_send(now=DUE, build_url=build_url)

    # then the server took every mail once, over one connection per batch of a hundred,
    # each to its tenant with its own link
    assert sent == 101
    assert smtp_server.connections == 2
    assert sorted(to for to, _content in smtp_server.mails) == sorted(
        [i.email] for i in invitations
    )
    received = {to[0]: email.message_from_bytes(content) for to, content in smtp_server.mails}
    for invitation in invitations:
        message = received[invitation.email]
        assert message["Subject"] == f"How did the repair go? ({invitation.request.reference})"
        assert invitation.token in message.get_payload(decode=True).decode()
