"""Survey dispatch rate: one worker sends due invitations to an SMTP server on the loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kp_bench .venv/bin/python bench/dispatch.py --count 3000

Starts an SMTP sink (aiosmtpd, in its own process, counting what it receives) on a free port
of 127.0.0.1 and points the portal's mail at it (EMAIL_URL). Creates --count due invitations
for completed requests that have none (a throw-away e-mail address each), times the dispatch
entry point until they are all sent, checks each went out exactly once, and removes the
invitations and their sent-mail keys again, so the run can be repeated on the same data.

The dispatch entry point is `dispatch_once` below: it calls what surveys/tasks.py's periodic
task calls to send due invitations. When that changes, adapt only that function.
"""

import argparse
import datetime
import inspect
import json
import multiprocessing
import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from bench._common import OUT, database_name, django_setup, environment, git_commit, load_average


def dispatch_once() -> int:
    """Send what is due, once; the number sent. (surveys.tasks.surveys_run's sending step.)"""
    from django.utils import timezone

    from surveys import services, tasks

    send = services.survey_invitations_send
    accepted = inspect.signature(send).parameters
    offered = {"now": timezone.now(), "build_url": tasks.site_url}
    result = send(**{name: value for name, value in offered.items() if name in accepted})
    if isinstance(result, dict):  # a summary such as {"sent": n, ...}
        return int(result.get("sent", sum(v for v in result.values() if isinstance(v, int))))
    return int(result or 0)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000, help="invitations to send")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--database-url", help="default: $DATABASE_URL or kp_bench")
    parser.add_argument(
        "--profile", metavar="FILE", help="write a pyinstrument profile of the sending (text)"
    )
    return parser.parse_args(argv)


def _sink(port: int, received, ready, stop) -> None:
    """An SMTP server that accepts and counts every message (runs in a child process)."""
    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server, session, envelope):
            with received.get_lock():
                received.value += len(envelope.rcpt_tos)
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv=None) -> int:
    args = parse_args(argv)
    env = environment(args.database_url)
    port = free_port()
    context = multiprocessing.get_context("spawn")
    received = context.Value("i", 0)
    ready, stop = context.Event(), context.Event()
    sink = context.Process(target=_sink, args=(port, received, ready, stop), daemon=True)
    sink.start()
    if not ready.wait(30):
        raise SystemExit("The SMTP sink did not start.")
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    django_setup()
    from django.db import transaction
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from portal.models import SentMail
    from repairs.models import RepairRequest
    from surveys.models import InvitationStatus, SurveyInvitation

    database = database_name(env["DATABASE_URL"])
    print(f"Survey dispatch on {database} ({git_commit()}; load {load_average()})", flush=True)
    now = timezone.now()
    already_due = SurveyInvitation.objects.filter(
        status=InvitationStatus.PENDING, due_at__lte=now
    ).count()
    candidates = list(
        RepairRequest.objects.filter(status="completed", contract__isnull=False)
        .filter(~Exists(SurveyInvitation.objects.filter(request_id=OuterRef("pk"))))
        .select_related("contract")
        .order_by("-id")[: args.count]
    )
    if not candidates:
        raise SystemExit("No completed request without an invitation: seed the database first.")
    with transaction.atomic():
        created = SurveyInvitation.objects.bulk_create(
            [
                SurveyInvitation(
                    organisation_id=request.organisation_id,
                    request=request,
                    contractor_id=request.contractor_id,
                    area_id=request.contract.area_id,
                    email=f"dispatch-{request.pk}@bench.example.nl",
                    language="nl",
                    due_at=now - datetime.timedelta(hours=1),
                )
                for request in candidates
            ]
        )
    ids = [invitation.pk for invitation in created]
    print(f"  {len(ids)} due invitations created ({already_due} were due already)", flush=True)
    calls = sent = 0
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    started = time.perf_counter()
    try:
        while True:
            calls += 1
            done = dispatch_once()
            sent += done
            if done == 0:
                break
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.stop()
            Path(args.profile).write_text(
                profiler.output_text(unicode=True, processor_options={"show_all": False})
            )
        time.sleep(0.5)  # the sink counts asynchronously
        still_pending = SurveyInvitation.objects.filter(
            pk__in=ids, status=InvitationStatus.PENDING
        ).count()
        delivered = received.value
    finally:
        SentMail.objects.filter(key__in=[f"survey-invitation-{pk}" for pk in ids]).delete()
        SurveyInvitation.objects.filter(pk__in=ids).delete()
        stop.set()
        sink.join(10)
    # Invitations of the seeded history that fell due since the seed are sent too: all count.
    rate = sent / seconds if seconds else 0.0
    report = {
        "database": database,
        "commit": git_commit(),
        "invitations": len(ids),
        "sent": sent,
        "seconds": round(seconds, 2),
        "per_second": round(rate, 1),
        "calls": calls,
        "smtp_messages": delivered,
        "still_pending": still_pending,
        "load": load_average(),
    }
    print(
        f"  sent {sent} in {seconds:.2f} s = {rate:.0f} invitations/s "
        f"({calls} calls; the SMTP server received {delivered}; load {report['load']})"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"dispatch-{database}.json").write_text(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    if still_pending or delivered != sent or sent < len(ids):
        print(f"FAILED: {still_pending} still pending, {delivered} received of {sent} sent")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
