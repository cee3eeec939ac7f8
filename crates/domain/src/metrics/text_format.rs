//! The Prometheus text format (0.0.4) from the OpenMetrics text `prometheus-client`
//! writes, for scrapers that do not negotiate OpenMetrics (`promtool check metrics`,
//! older agents, `curl`).
//!
//! Written here because `prometheus-client` encodes OpenMetrics only, and the two
//! formats differ in a few lines alone: a counter's family is named without `_total`
//! in OpenMetrics (`# TYPE x counter`, samples `x_total`) but with it in 0.0.4, `# UNIT`
//! and `# EOF` exist only in OpenMetrics. Samples, labels and escaping are the same.

/// `openmetrics` in the 0.0.4 text format.
pub fn from_openmetrics(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    // HELP comes before TYPE; its name depends on the type, so it waits for it.
    let mut help: Option<(&str, &str)> = None;
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            flush_help(&mut out, help.take(), "");
            help = Some(rest.split_once(' ').unwrap_or((rest, "")));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let (suffix, kind) = match kind {
                "counter" => ("_total", "counter"),
                "info" | "stateset" => ("", "gauge"),
                "gaugehistogram" | "unknown" => ("", "untyped"),
                other => ("", other),
            };
            match help.take() {
                Some((helped, text)) if helped == name => {
                    flush_help(&mut out, Some((helped, text)), suffix)
                }
                other => flush_help(&mut out, other, ""),
            }
            out.push_str(&format!("# TYPE {name}{suffix} {kind}\n"));
            continue;
        }
        flush_help(&mut out, help.take(), "");
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    flush_help(&mut out, help, "");
    out
}

fn flush_help(out: &mut String, help: Option<(&str, &str)>, suffix: &str) {
    if let Some((name, text)) = help {
        out.push_str(&format!("# HELP {name}{suffix} {text}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_take_their_total_suffix_and_openmetrics_only_lines_go() {
        let openmetrics = "\
# HELP http_requests Requests.
# TYPE http_requests counter
http_requests_total{route=\"/a b\"} 3
# HELP up Up.
# TYPE up gauge
# UNIT up ratio
up 1.0
# HELP took Time.
# TYPE took histogram
took_bucket{le=\"0.1\"} 1
took_bucket{le=\"+Inf\"} 2
took_sum 0.3
took_count 2
# EOF
";
        assert_eq!(
            from_openmetrics(openmetrics),
            "\
# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{route=\"/a b\"} 3
# HELP up Up.
# TYPE up gauge
up 1.0
# HELP took Time.
# TYPE took histogram
took_bucket{le=\"0.1\"} 1
took_bucket{le=\"+Inf\"} 2
took_sum 0.3
took_count 2
"
        );
    }
}
