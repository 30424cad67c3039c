# Sourced by the footprint scripts: Prometheus' EC2 discovery (Debian's prometheus) against the
# stand-in at $endpoint, refreshing every $interval, with every discovered target dropped by
# relabelling so that the fake fleet's addresses are never scraped; its web port is $port, its
# files go to $work. Sets pid, and defines fetches: the refreshes so far.
cat > "$work/prometheus.yml" <<YAML
global: {scrape_interval: 1h}
scrape_configs:
  - job_name: ec2
    ec2_sd_configs:
      - region: us-east-1
        endpoint: $endpoint
        access_key: AKIDBENCH
        secret_key: bench-secret
        refresh_interval: $interval
        port: 80
        filters: [{name: "tag:role", values: [web]}]
    # Discovery only: every target is dropped, so the fake fleet's addresses are never scraped.
    relabel_configs:
      - action: drop
        regex: .*
        source_labels: [__address__]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$port" > "$work/prometheus.log" 2>&1 &
pid=$!
fetches() {
  curl -s --max-time 2 "http://127.0.0.1:$port/metrics" \
      | awk '/^prometheus_sd_refresh_duration_seconds_count\{mechanism="ec2"\}/ {print int($2)}'
}
