"""Alert rules, the evaluation engine (a state machine per series) and notifiers.

How the daemon wires alerting (everything here is built; the daemon only calls it)::

    from lanpulse.alerts.configsrc import alerting_config_of
    from lanpulse.alerts.service import AlertingService

    cfg = alerting_config_of(loaded)   # the section config.loader validated, plus its rules
    alerting = AlertingService.from_settings(
        cfg.settings, cfg.rules.rules, base_dir=cfg.base_dir,
        parents={d.name: d.parent for d in devices if d.parent},   # dependencies
        groups={d.name: d.group for d in devices if d.group},      # maintenance by group
    )
    alerting.load_state(now_ns())                  # once, before the first poll
    stop = asyncio.Event()
    delivery = asyncio.create_task(alerting.dispatcher.run(stop))  # sends, retries, repeats

    # for every PollOutcome leaving the pipeline (also failed polls: they carry device.up=0):
    writer.write(alerting.observe(outcome.samples, now_ns()))     # `alert` samples back
    # every ~5 s, from a periodic task (for-timers, absence, releases, state checkpoint):
    writer.write(alerting.tick(now_ns()))

    # SIGHUP with a new inventory only: alerting.engine.set_topology(parents, groups)
    # SIGHUP with new alerting config (validated first):
    #     alerting = alerting.reload(AlertingService.from_settings(...), now_ns())
    #     (stop the old dispatcher task, start the new one's `run`)
    # SIGTERM: stop.set(); await delivery; alerting.save_state()

`observe` and `tick` are synchronous, cheap and never do I/O (delivery happens in the
dispatcher task), so a notifier that is down never slows polling. Both return the `alert`
measurement samples (tags rule, severity + series tags; fields state 0/1/2, value) for the
time-series writer. Lower-level pieces, for tests and tools:

- `engine.AlertEngine.observe(samples, now_ns) / tick(now_ns) -> list[AlertEvent]`; an
  event with `suppressed_by` set is recorded but not notified (maintenance, parent down,
  flapping, waiting for the parent).
- `records.alert_samples(events)`, `records.notifiable(events)`, `records.active_alerts(engine)`.
- `dispatcher.Dispatcher.submit(events)` + `await flush(now_ns)`; notifiers implement
  `notifiers.base.Notifier` (`name`, `async send(events)`, raising SinkError); a permanent
  refusal is kept as a dead letter (`retry_dead`), and `receiver_health` counts per
  receiver and raises `notifier_failing`.
- `wiring`: named receivers (kinds from `notifiers.registry`) and the routes: a flat list
  (Alertmanager's catch-all, the old `routes:`) then `routing.RouteNode`, Alertmanager's
  routing tree; `wiring.receivers_for(settings, labels)` answers `alerts routes`.
- `silences.SilenceBook` (silences by matchers, acknowledgements), consulted by the engine
  (nothing sent while silenced) and the dispatcher (no repeats while held);
  `control.AlertController` is what `/api/v1` drives; `mirror` copies silences to
  Alertmanager.
- `pages.PageWriter` annotates notifications (address, location, value and threshold,
  began/duration in the configured zone, Grafana/status/runbook links); `watchdog` makes
  the always-firing Watchdog and the planned-stop notice.
"""
