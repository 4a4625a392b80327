"""Reconcile flagged buckets, the ticket ledger and each tracker; then (with ``apply``) act.

Per tracker and bucket key, the tracker's own state decides (the ledger names the ticket; a GET by
id is consistent even where search lags):

=====================  ============================  ===========================================
bucket now             ticket                        action
=====================  ============================  ===========================================
flagged                none                          create (citing earlier tickets, if any)
flagged                open, digest unchanged        nothing
flagged                open, digest changed/unknown  one comment
flagged                closed as done                reopen, or a new ticket citing it
any                    closed as won't fix           record: its findings become a suppression
not flagged            open, scope complete          closing comment + done state
not flagged            open, scope not complete      hold (an incomplete scan closes nothing)
=====================  ============================  ===========================================

The ledger row is written before each tracker call (``pending``) and after it. A re-run finds a
pending create on the tracker by its bucket key (retrying the search a few times, since Jira's
search is eventually consistent) before creating anything.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from ..history.ledger import NEVER_EXPIRES, LedgerEntry, LedgerState, TicketLedger
from ..history.states import blocked_resolution
from ..model import Finding, SuppressionRef
from ..results import ScanResult
from ..spill import builder_like
from .buckets import FlaggedBucket, flagged_buckets
from .content import close_doc, comment_doc, ticket_text
from .http import RetryPolicy, TicketError
from .plan import TRACKER_CHANGES, Action, SyncPlan
from .sinks import NewTicket, Sink, Ticket, TicketStatus, build_sinks

if TYPE_CHECKING:
    from ..config import Config
    from ..history.store import HistoryStore

__all__ = ["FIND_RETRIES", "sync_tickets"]

log = logging.getLogger("residency_audit.tickets")
FIND_RETRIES = 3  # searches for a pending create's ticket before creating it


def sync_tickets(
    result: ScanResult,
    config: Config,
    store: HistoryStore,
    *,
    apply: bool,
    report_url: str | None,
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    retry: RetryPolicy | None = None,
    sinks: Sequence[Sink] | None = None,
) -> SyncPlan:
    """Plan (and with ``apply``, carry out) the ticket changes for ``result``.

    Reads the trackers even when only planning; writes to them and to the ledger only with
    ``apply``. Credentials come from ``env`` (default: the process environment).
    """
    settings = config.tickets
    policy = retry or RetryPolicy()
    ledger = TicketLedger(store)
    plan = SyncPlan(applied=apply, scan_id=result.scan.id)
    clients: list[httpx.Client] = []
    if sinks is None:
        built, clients = build_sinks(
            settings, os.environ if env is None else env, transport=transport, retry=policy
        )
        sinks = built
    try:
        entries = ledger.entries()
        accepted = _wontfix_fingerprints(entries.values())
        flagged = flagged_buckets(result, settings, frozenset(accepted))
        report = report_url or settings.report_url
        for sink in sinks:
            mine = {e.bucket_key: e for e in entries.values() if e.sink == sink.name}
            try:
                actions = _plan_sink(sink, mine, flagged, result, policy)
            except TicketError as exc:
                plan.errors.append(str(exc))
                continue
            plan.actions += actions
            if apply:
                _apply(sink, actions, mine, ledger, result, settings.lang, report, plan)
        for a in plan.actions:  # won't-fix tickets seen this run count in this run's report
            if a.kind == "wontfix" and a.ticket is not None:
                e = entries.get(f"{a.sink}/{a.key}")
                info = _wontfix_info(a.sink, a.ticket, e, a.flagged)
                ref = _suppression(a.sink, a.ticket.ref, info)
                accepted.update({fp: ref for fp in info["fingerprints"]})
        plan.result = _annotate(result, accepted)
    finally:
        for c in clients:
            c.close()
    return plan


def _wontfix_info(
    sink: str, t: Ticket, e: LedgerEntry | None, b: FlaggedBucket | None
) -> dict[str, Any]:
    """What the ledger keeps about a won't-fix: who/where, and the findings the ticket listed."""
    fps = [str(d["fingerprint"]) for d in e.findings] if e and e.findings else []
    if not fps and b is not None:
        fps = [f.fingerprint for f in b.findings]
    return {
        "reason": f"closed as won't fix ({t.resolution or 'not planned'}) in {t.ref}",
        "by": f"{sink} {t.ref}",
        "at": datetime.now(UTC).isoformat(),
        "ticket": t.ref,
        "fingerprints": fps,
    }


def _suppression(sink: str, ref: str, info: Mapping[str, Any]) -> SuppressionRef:
    return SuppressionRef(
        id=f"ticket:{sink}:{ref}",
        reason=str(info["reason"]),
        approved_by=str(info["by"]),
        expires=NEVER_EXPIRES,
    )


def _wontfix_fingerprints(entries: Any) -> dict[str, SuppressionRef]:
    out: dict[str, SuppressionRef] = {}
    for e in entries:
        if e.wontfix:
            ref = e.suppression_ref()
            out.update({str(fp): ref for fp in e.wontfix.get("fingerprints", [])})
    return out


def _annotate(result: ScanResult, accepted: Mapping[str, SuppressionRef]) -> ScanResult:
    if not accepted:
        return result
    findings = builder_like(result.findings, Finding)  # on disk when the scan's are
    for f in result.findings:
        if f.suppression is None and f.fingerprint in accepted:
            f = f.model_copy(update={"suppression": accepted[f.fingerprint]})
        findings.add(f)
    return result.model_copy(update={"findings": findings.finish()})


# -- planning ----------------------------------------------------------------------------------


def _ticket_from_ledger(e: LedgerEntry) -> Ticket | None:
    if not e.ticket_id:
        return None
    status = {"closed": TicketStatus.DONE, "wontfix": TicketStatus.WONTFIX}.get(
        e.state, TicketStatus.OPEN
    )
    return Ticket(e.ticket_id, e.ticket_ref or e.ticket_id, e.ticket_url, status, e.bucket_key)


def _plan_sink(
    sink: Sink,
    ledger: Mapping[str, LedgerEntry],
    flagged: Mapping[str, FlaggedBucket],
    result: ScanResult,
    policy: RetryPolicy,
) -> list[Action]:
    found = {} if sink.stateless else sink.search()
    by_id = {t.id: t for ts in found.values() for t in ts}
    # what may close a ticket: the same rule that resolves a finding in the history
    complete, hidden = blocked_resolution(result.inventory)
    actions: list[Action] = []
    for key in [*flagged, *(k for k in ledger if k not in flagged)]:
        b, e = flagged.get(key), ledger.get(key)
        ticket: Ticket | None
        if sink.stateless:
            ticket = _ticket_from_ledger(e) if e else None
        elif e is not None and e.ticket_id:
            ticket = by_id.get(e.ticket_id) or sink.get(e.ticket_id)
        else:
            hits = found.get(key)
            ticket = hits[0] if hits else None
            if ticket is None and e is not None and e.pending == "create" and b is not None:
                # the create may not be searchable yet
                ticket = policy.until_found(FIND_RETRIES)(sink.find, key)
        name = b.name if b else (e.bucket_name if e else key)
        act = Action(
            sink=sink.name,
            kind="",
            key=key,
            bucket=name,
            reason="",
            provider=b.provider if b else (e.provider if e else ""),
            scope=b.scope if b else (e.scope if e else ""),
            flagged=b,
            ticket=ticket,
            adopt=ticket is not None and (e is None or e.ticket_id != ticket.id),
        )
        old = [e.ticket_ref or e.ticket_id or ""] if e and e.ticket_id else []
        if (
            ticket is not None
            and ticket.status is TicketStatus.WONTFIX
            and (e is None or e.state != LedgerState.WONTFIX or act.adopt)
        ):
            act.kind, act.reason = "wontfix", "closed as won't fix by a person: suppressed"
        elif e is not None and e.state == LedgerState.WONTFIX:
            if b is not None:  # findings the won't-fix did not cover
                act.kind, act.previous, act.ticket, act.adopt = "recreate", tuple(old), None, False
                act.reason = "new findings on a bucket whose ticket was closed as won't fix"
        elif b is not None:
            if ticket is None:
                act.kind, act.previous = ("recreate", tuple(old)) if old else ("create", ())
                act.reason = "newly flagged" if not old else "flagged again; old ticket is gone"
            elif ticket.status is TicketStatus.DONE:
                act.kind = "reopen" if sink.can_reopen else "recreate"
                act.previous = (ticket.ref,) if act.kind == "recreate" else ()
                act.reason = "findings returned after the ticket was closed"
            else:
                known = None
                if e is not None and not act.adopt:
                    known = e.digest
                elif e is not None and e.pending == "create":
                    known = e.pending_digest
                if known == b.digest:
                    act.kind, act.reason = (
                        ("adopt", "found on the tracker")
                        if act.adopt
                        else (
                            "none",
                            "unchanged",
                        )
                    )
                else:
                    act.kind, act.reason = "comment", "findings changed"
        elif e is not None and e.state in (LedgerState.OPEN, LedgerState.PENDING):
            if ticket is None:
                act.kind, act.reason = "closed", "no longer flagged; no ticket on the tracker"
            elif ticket.status is TicketStatus.DONE:
                act.kind, act.reason = "closed", "no longer flagged; already closed"
            elif (e.provider, e.scope) in complete and e.bucket_uid not in hidden:
                act.kind, act.reason = "close", "resolved in a complete scan"
            else:
                act.kind = "hold"
                act.reason = "not flagged, but its scope was not collected completely: kept open"
        if act.kind and act.kind != "none":
            actions.append(act)
    return actions


# -- applying ----------------------------------------------------------------------------------


def _apply(
    sink: Sink,
    actions: Sequence[Action],
    ledger_rows: Mapping[str, LedgerEntry],
    ledger: TicketLedger,
    result: ScanResult,
    lang: str,
    report: str | None,
    plan: SyncPlan,
) -> None:
    scan_id = result.scan.id
    for a in actions:
        e = ledger_rows.get(a.key)
        if e is None:
            b = a.flagged
            assert b is not None or a.ticket is not None
            e = LedgerEntry(
                sink=sink.name,
                bucket_key=a.key,
                provider=a.provider,
                scope=a.scope,
                bucket_uid=b.uid if b else "",
                bucket_name=a.bucket,
            )
        try:
            _apply_one(sink, a, e, ledger, scan_id, lang, report)
        except TicketError as exc:
            a.error = str(exc)
            plan.errors.append(f"{sink.name}: {a.bucket}: {exc}")
            log.error("ticket sync stopped for %s: %s", sink.name, exc)
            return  # a tracker that refuses one call will most likely refuse the rest
        a.done = a.kind in TRACKER_CHANGES


def _apply_one(
    sink: Sink,
    a: Action,
    e: LedgerEntry,
    ledger: TicketLedger,
    scan_id: str,
    lang: str,
    report: str | None,
) -> None:
    b, t = a.flagged, a.ticket
    if t is not None and a.adopt:
        e = e.but(ticket_id=t.id, ticket_ref=t.ref, ticket_url=t.url, pending=None)
    if a.kind == "wontfix":
        assert t is not None
        info = _wontfix_info(sink.name, t, e, b)
        ledger.save(e.but(state=LedgerState.WONTFIX, wontfix=info, pending=None))
        return
    if a.kind in ("adopt", "closed", "hold"):
        state = LedgerState.CLOSED if a.kind == "closed" else e.state
        if a.kind == "adopt":
            assert b is not None
            state = LedgerState.OPEN
            e = e.but(digest=b.digest, findings=b.summary)
        ledger.save(e.but(state=state, pending=None, last_scan_id=scan_id))
        return
    if a.kind in ("create", "recreate"):
        assert b is not None
        previous = tuple(dict.fromkeys((*a.previous, *(p["ref"] for p in e.previous))))
        text = ticket_text(b, lang=lang, scan_id=scan_id, report=report, previous=previous)
        old = [{"id": e.ticket_id, "ref": e.ticket_ref, "url": e.ticket_url}] if e.ticket_id else []
        e = e.but(
            state=LedgerState.PENDING,
            pending="create",
            pending_digest=b.digest,
            ticket_id=None,
            ticket_ref=None,
            ticket_url=None,
            previous=(*e.previous, *old),
            bucket_uid=b.uid,
        )
        ledger.save(e)  # before: a re-run searches for this bucket's key instead of creating
        created = sink.create(NewTicket(b.key, text.title, text.body, b.worst.severity))
        a.result = created.ref
        ledger.save(_opened(e, created, b, scan_id))
        return
    assert t is not None
    if a.kind == "close":
        doc = close_doc(
            name=e.bucket_name,
            provider=e.provider,
            scope=e.scope,
            lang=lang,
            scan_id=scan_id,
            report=report,
        )
        ledger.save(e.but(pending="close"))
        sink.close(t, doc)
        ledger.save(e.but(state=LedgerState.CLOSED, pending=None, last_scan_id=scan_id))
        a.result = t.ref
        return
    assert b is not None
    reopened = a.kind == "reopen"
    before = e.findings if not a.adopt or e.pending != "create" else ()
    doc = comment_doc(
        b, lang=lang, scan_id=scan_id, report=report, before=before, reopened=reopened
    )
    marker = f"residency-audit digest: {b.digest[:16]}"
    ledger.save(e.but(pending=a.kind, pending_digest=b.digest))
    if reopened:
        if not sink.reopen(t, doc):  # the tracker refused: new ticket citing the old one
            a.kind, a.previous = "recreate", (t.ref,)
            _apply_one(sink, a, e, ledger, scan_id, lang, report)
            return
    elif not (
        e.pending == "comment" and e.pending_digest == b.digest and sink.has_comment(t, marker)
    ):
        sink.comment(t, doc)
    a.result = t.ref
    ledger.save(_opened(e, t, b, scan_id))


def _opened(e: LedgerEntry, t: Ticket, b: FlaggedBucket, scan_id: str) -> LedgerEntry:
    return e.but(
        state=LedgerState.OPEN,
        pending=None,
        pending_digest=None,
        ticket_id=t.id,
        ticket_ref=t.ref,
        ticket_url=t.url,
        digest=b.digest,
        findings=b.summary,
        bucket_name=b.name,
        bucket_uid=b.uid,
        last_scan_id=scan_id,
    )
