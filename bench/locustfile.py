"""Locust users for bench/load.py (started by it; not meant to be run by hand).

MixUser: many users, each at a constant throughput (BENCH_USER_RATE requests/s), together a
fixed arrival rate over the weighted page mix in BENCH_PLAN (a JSON file load.py writes: per
page its weight and the URLs with the session cookie of a pre-logged-in user). A slow response
delays only the user that waits for it, so with enough users the rate holds (an open loop,
not a closed one).

Every request carries X-Bench-Page, which gunicorn's access log records next to the server
time, so load.py reports server-side percentiles per page as well.
"""

import json
import os
import random

import gevent
from locust import FastHttpUser, constant_throughput, task

_plan = None


def plan() -> dict:
    global _plan
    if _plan is None:
        with open(os.environ["BENCH_PLAN"]) as handle:
            _plan = json.load(handle)
    return _plan


def _get(user, url: str, cookie: str | None, name: str) -> None:
    # Each request is one user's: no cookie the server set for an earlier one goes along.
    user.client.cookiejar.clear()
    headers = {"X-Bench-Page": name}
    if cookie:
        headers["Cookie"] = cookie
    with user.client.get(
        url, headers=headers, name=name, allow_redirects=False, catch_response=True
    ) as response:
        if response.status_code != 200:
            response.failure(f"HTTP {response.status_code}")


USER_RATE = float(os.environ.get("BENCH_USER_RATE", "0.2"))


class MixUser(FastHttpUser):
    wait_time = constant_throughput(USER_RATE)
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        # Users start at random moments of their first interval, so the arrivals are spread
        # evenly instead of all users firing at once.
        gevent.sleep(random.uniform(0, 1 / USER_RATE))

    @task
    def page(self) -> None:
        pages = plan()["pages"]
        page = random.choices(pages, weights=[p["weight"] for p in pages])[0]
        url, cookie = random.choice(page["entries"])
        _get(self, url, cookie, page["name"])
