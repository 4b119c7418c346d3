// The console's alert rules as Prometheus alerting rules: the same rules, thresholds and runbooks
// for a team that pages from Prometheus and Alertmanager rather than from Tally's own webhook.
// `tally --print-prometheus-rules` prints them; installer/prometheus/tally-rules.yml is that
// output (tst_prometheus_rules checks it, and runs promtool's check and unit tests on it).
#pragma once

#include "models/alerts.h"

#include <QByteArray>
#include <QString>

namespace tally {

// A rules file (one group, "tally") with an alert per rule of `alerts` at its current threshold;
// each links its runbook: `runbookUrl` with "{rule}" replaced by the rule's id.
QByteArray prometheusAlertRules(const AlertModel &alerts, const QString &runbookUrl);
// Whether the rule has its Prometheus expression (every rule must).
bool hasPrometheusRule(const QString &ruleId);

} // namespace tally
