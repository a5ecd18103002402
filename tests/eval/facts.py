"""Hand-written knowledge of four invented projects, with the questions an agent would ask.

A fact is ``(kind, title, tags, body, queries)``. The corpus generator (``corpus.py``) turns each
into a wiki page and surrounds them with noise: session logs that mention the same words in passing,
handoffs, near-duplicates and superseded decisions.
"""

from __future__ import annotations

PROJECTS = {
    "ledgerly": "billing API (Python, FastAPI, Postgres, Stripe)",
    "tidewatch": "IoT telemetry pipeline (Go, MQTT, TimescaleDB)",
    "quillpad": "desktop markdown editor (Electron, TypeScript, React)",
    "harbor": "platform infrastructure (Terraform, Kubernetes, GitHub Actions)",
}

FACTS: dict[str, list[tuple[str, str, list[str], str, list[str]]]] = {
    "ledgerly": [
        (
            "gotcha",
            "parse_config crashes on empty env vars",
            ["config", "env"],
            "`parse_config()` in src/ledgerly/config.py raises ValueError when LEDGERLY_DB_URL is "
            "set but empty (docker compose passes empty strings). Treat empty as unset before "
            "validating.",
            ["why does parseConfig blow up at startup with an empty env variable"],
        ),
        (
            "rule",
            "Money is stored as integer cents",
            ["money", "schema"],
            "Never use float or Decimal columns for amounts. Every amount column is BIGINT cents "
            "with a currency code beside it; format only at the API edge.",
            ["how should I store invoice amounts in the database"],
        ),
        (
            "decision",
            "Stripe webhooks are verified and processed idempotently",
            ["stripe", "webhooks"],
            "Webhook handler verifies the signature with STRIPE_WEBHOOK_SECRET, then upserts into "
            "stripe_events keyed by event id; a duplicate delivery is a no-op.",
            ["stripe sends the same webhook twice, how do we handle duplicates"],
        ),
        (
            "gotcha",
            "Alembic autogenerate misses enum changes",
            ["alembic", "migrations", "postgres"],
            "Adding a value to a Postgres ENUM is not detected by alembic autogenerate. Write "
            "`ALTER TYPE invoice_status ADD VALUE` by hand in the migration, outside a "
            "transaction block.",
            ["new enum value not showing up after alembic migration"],
        ),
        (
            "decision",
            "Use pytest-postgresql instead of SQLite for tests",
            ["testing", "postgres"],
            "Tests ran on SQLite and missed JSONB and enum behaviour. The suite now starts a "
            "throwaway Postgres through pytest-postgresql; `make test` needs pg_ctl on PATH.",
            ["which database do the unit tests run against"],
        ),
        (
            "concept",
            "Invoice lifecycle",
            ["invoices", "domain"],
            "An invoice moves draft -> open -> paid | void | uncollectible. Only drafts are "
            "editable; finalising assigns the number from the per-account sequence.",
            ["what states can an invoice be in"],
        ),
        (
            "gotcha",
            "Timezone bug in billing period boundaries",
            ["timezones", "billing"],
            "Billing periods were computed in server local time, so customers in UTC+ got "
            "charged a day early. Always compute period_start/period_end in the account's "
            "timezone with zoneinfo, store UTC.",
            ["customers charged a day early at month end"],
        ),
        (
            "rule",
            "All API errors use the problem+json format",
            ["api", "errors"],
            "Raise ApiError(code, detail); the exception handler renders RFC 7807 "
            "application/problem+json. Never return bare strings or HTTPException details.",
            ["what format should error responses from the API have"],
        ),
        (
            "decision",
            "Rate limiting with a Redis token bucket",
            ["redis", "rate-limit", "api"],
            "Per-API-key token bucket in Redis via a Lua script (100 req/s burst 200). Chosen over "
            "nginx limit_req because limits are per customer plan.",
            ["how is the api rate limited per customer"],
        ),
        (
            "gotcha",
            "FastAPI background tasks lose the DB session",
            ["fastapi", "sqlalchemy"],
            "BackgroundTasks run after the response, when the request-scoped SQLAlchemy session is "
            "closed: DetachedInstanceError. Open a new session inside the task with "
            "`session_scope()`.",
            ["DetachedInstanceError in a background task after the request"],
        ),
        (
            "concept",
            "Proration rules for plan changes",
            ["billing", "proration"],
            "Upgrades prorate immediately by seconds remaining in the period; downgrades apply at "
            "period end. compute_proration() in src/ledgerly/billing/proration.py.",
            ["how does changing plans mid cycle get charged", "computeProration"],
        ),
        (
            "rule",
            "Never log card data or full emails",
            ["security", "logging", "pii"],
            "structlog processors redact `card`, `cvc`, and mask emails to a***@domain. Adding a "
            "log line with customer fields needs the redact_pii processor.",
            ["can I log the customer email in the payment flow"],
        ),
        (
            "decision",
            "Dunning emails via a scheduled job, not Stripe",
            ["dunning", "email", "jobs"],
            "We send failed-payment reminders ourselves (day 1, 3, 7) from the dunning job so the "
            "copy matches the product; Stripe's smart retries stay on.",
            ["who sends the failed payment reminder emails"],
        ),
        (
            "gotcha",
            "Connection pool exhaustion under load test",
            ["postgres", "sqlalchemy", "performance"],
            "QueuePool limit of size 5 overflow 10 reached: sessions were held across awaits in "
            "the export endpoint. Pool is now 20/20 and the export streams with a server cursor.",
            ["QueuePool limit reached timeout errors"],
        ),
        (
            "concept",
            "Tenant isolation with row level security",
            ["postgres", "security", "multitenancy"],
            "Every table has account_id; Postgres RLS policies use current_setting('app.account') "
            "set by the session middleware. Superuser connections bypass RLS, so migrations only.",
            ["how are customers kept from seeing each other's data"],
        ),
        (
            "gotcha",
            "mypy fails on pydantic v2 validators",
            ["typing", "pydantic"],
            "After the pydantic v2 bump, `@validator` must become `@field_validator` with "
            "`@classmethod`; mypy plugin pydantic.mypy needs to be listed in pyproject.",
            ["mypy errors on validators after upgrading pydantic"],
        ),
        (
            "decision",
            "Invoice PDFs rendered with WeasyPrint",
            ["pdf", "invoices"],
            "HTML templates rendered to PDF by WeasyPrint in a worker; wkhtmltopdf dropped "
            "(unmaintained, broke fonts). Fonts are vendored in assets/fonts.",
            ["what library generates the invoice pdf"],
        ),
        (
            "rule",
            "Run make lint before committing",
            ["workflow", "lint"],
            "ruff check, ruff format --check and mypy run in `make lint`; CI rejects the PR "
            "otherwise. Line length 100.",
            ["what checks do I need to run before pushing"],
        ),
        (
            "gotcha",
            "Currency rounding with banker's rounding",
            ["money", "rounding"],
            "Python round() uses banker's rounding; tax at 0.5 cent rounded down. Use "
            "quantize(ROUND_HALF_UP) in tax.py apply_tax_rate.",
            ["tax amount off by one cent"],
        ),
        (
            "concept",
            "Usage-based metering pipeline",
            ["metering", "usage", "billing"],
            "Usage events land in usage_events (append only), are aggregated hourly into "
            "usage_rollups by the rollup job, and priced at invoice finalisation.",
            ["where do usage events get aggregated before invoicing"],
        ),
    ],
    "tidewatch": [
        (
            "decision",
            "MQTT broker is EMQX with shared subscriptions",
            ["mqtt", "broker"],
            "Mosquitto could not spread load across ingest workers. EMQX shared subscriptions "
            "($share/ingest/telemetry/#) balance messages between consumers.",
            ["which mqtt broker do we run and why"],
        ),
        (
            "gotcha",
            "Device clocks drift, trust the server timestamp",
            ["timestamps", "devices"],
            "Sensors without NTP report timestamps hours off. Ingest stamps received_at and "
            "uses device_ts only when within 5 minutes of it.",
            ["sensor readings have timestamps from the future"],
        ),
        (
            "rule",
            "Every Go package has table-driven tests",
            ["go", "testing"],
            "New code in internal/ ships with table-driven tests (t.Run per case); `go test "
            "-race ./...` must pass.",
            ["how should I write tests for a new go package"],
        ),
        (
            "decision",
            "TimescaleDB hypertables with 7-day chunks",
            ["timescaledb", "postgres", "storage"],
            "Telemetry lives in a hypertable chunked by 7 days, compressed after 14 days, "
            "dropped after 400 days by a retention policy.",
            ["how long is telemetry data kept", "timescale chunk interval"],
        ),
        (
            "gotcha",
            "QoS 1 delivers duplicates after reconnect",
            ["mqtt", "duplicates"],
            "With QoS 1 a device re-sends unacked messages after reconnecting. Ingest "
            "deduplicates on (device_id, seq) with ON CONFLICT DO NOTHING.",
            ["duplicate rows after a device reconnects"],
        ),
        (
            "concept",
            "Ingest pipeline stages",
            ["ingest", "architecture"],
            "mqtt consumer -> decodeFrame -> validate -> enrich (device registry) -> batch writer "
            "(COPY every 500 rows or 1s).",
            ["what happens to a telemetry message after it arrives"],
        ),
        (
            "gotcha",
            "decodeFrame panics on truncated payloads",
            ["decoder", "panic"],
            "internal/decode/frame.go decodeFrame indexed past the slice on frames shorter than "
            "the header. Check len(buf) < headerLen first and return ErrShortFrame.",
            ["index out of range panic in decode_frame"],
        ),
        (
            "decision",
            "Go 1.22 and the new loopvar semantics",
            ["go", "toolchain"],
            "go.mod pins go 1.22; per-iteration loop variables removed a class of goroutine "
            "capture bugs. CI uses the toolchain directive.",
            ["what go version does the project use"],
        ),
        (
            "rule",
            "Context deadlines on every outbound call",
            ["go", "context", "reliability"],
            "Every DB, HTTP and registry call takes a ctx with a deadline; no "
            "context.Background() below main.",
            ["do I need a timeout on database calls"],
        ),
        (
            "concept",
            "Device registry cache",
            ["devices", "cache"],
            "Device metadata is cached in-process (ristretto, 50k entries, 5 min TTL) and "
            "invalidated by registry.updated events.",
            ["how is device metadata looked up during ingest"],
        ),
        (
            "gotcha",
            "COPY fails on NaN readings",
            ["timescaledb", "copy"],
            "pgx CopyFrom rejects NaN in numeric columns. The validate stage maps NaN/Inf to NULL "
            "and sets quality_flag = 'invalid'.",
            ["batch insert fails because of NaN values"],
        ),
        (
            "decision",
            "Alerting rules evaluated in Grafana, not in code",
            ["alerting", "grafana"],
            "Threshold alerts moved out of the alertd service into Grafana unified alerting so "
            "operators edit them without deploys.",
            ["where are threshold alerts defined"],
        ),
        (
            "gotcha",
            "TLS handshake failures with old firmware",
            ["tls", "firmware", "mqtt"],
            "Firmware < 2.3 supports only TLS 1.1; EMQX listener 8883 requires 1.2. Legacy "
            "devices go through listener 8884 with a restricted cipher list.",
            ["old devices can't connect over tls"],
        ),
        (
            "concept",
            "Downsampling with continuous aggregates",
            ["timescaledb", "aggregates"],
            "telemetry_1m and telemetry_1h continuous aggregates feed dashboards; raw data is "
            "only queried for the last 24h.",
            ["why are dashboards not querying raw telemetry"],
        ),
        (
            "rule",
            "Metrics names follow tidewatch_<component>_<unit>",
            ["observability", "prometheus"],
            "Prometheus metrics are tidewatch_ingest_messages_total, "
            "tidewatch_writer_batch_seconds... counters end in _total.",
            ["naming convention for prometheus metrics"],
        ),
        (
            "gotcha",
            "Goroutine leak in the batch writer on shutdown",
            ["go", "goroutines", "shutdown"],
            "batchWriter.Run never returned when ctx was cancelled mid-flush; goleak caught it. "
            "Flush now selects on ctx.Done().",
            ["service hangs on shutdown, goroutines never exit"],
        ),
        (
            "decision",
            "Protobuf for device payloads",
            ["protobuf", "payloads"],
            "Devices send protobuf (telemetry.v2.Frame) instead of JSON: 4x smaller on cellular. "
            "buf generates code; buf breaking runs in CI.",
            ["what encoding do devices use for messages"],
        ),
        (
            "concept",
            "Firmware OTA rollout rings",
            ["firmware", "ota"],
            "OTA updates roll out to ring 0 (lab), ring 1 (5%), ring 2 (all) with a 24h soak "
            "between rings; rollback via the previous slot.",
            ["how do firmware updates get rolled out"],
        ),
        (
            "gotcha",
            "golangci-lint times out in CI",
            ["ci", "lint", "go"],
            "Default 1m timeout is too short with the generated protobuf code; "
            ".golangci.yml sets run.timeout 5m and skips gen/.",
            ["linter times out in the pipeline"],
        ),
        (
            "rule",
            "Schema changes go through migrate files",
            ["migrations", "postgres"],
            "SQL migrations live in db/migrations as NNNN_name.up.sql/down.sql, applied with "
            "golang-migrate; never edit an applied migration.",
            ["how do I add a column to the telemetry tables"],
        ),
    ],
    "quillpad": [
        (
            "gotcha",
            "contextIsolation breaks window.require",
            ["electron", "security", "ipc"],
            "With contextIsolation on, renderer code cannot call window.require. Expose APIs "
            "through preload.ts with contextBridge.exposeInMainWorld('quill', ...).",
            ["window.require is undefined in the renderer"],
        ),
        (
            "decision",
            "CodeMirror 6 as the editor core",
            ["editor", "codemirror"],
            "Replaced Monaco with CodeMirror 6: smaller bundle, better mobile selection, "
            "extensions for markdown live preview.",
            ["which text editor component do we use"],
        ),
        (
            "rule",
            "IPC channels are typed in src/shared/ipc.ts",
            ["ipc", "typescript"],
            "Every ipcMain.handle channel is declared in the IpcChannels map in "
            "src/shared/ipc.ts; untyped ipcRenderer.invoke calls fail lint.",
            ["where do I declare a new ipc channel"],
        ),
        (
            "gotcha",
            "Autosave races with file watcher",
            ["autosave", "files"],
            "Our own autosave write triggered chokidar, which reloaded the doc and lost the "
            "cursor. saveFile() records the mtime and the watcher ignores our writes.",
            ["cursor jumps to the top after saving"],
        ),
        (
            "decision",
            "Vite instead of webpack for the renderer",
            ["build", "vite"],
            "electron-vite builds main, preload and renderer; dev reload went from 9s to under "
            "1s. webpack config deleted.",
            ["what bundler builds the app"],
        ),
        (
            "concept",
            "Document model and undo history",
            ["editor", "undo"],
            "Each open file is an EditorState; undo history is per document and survives tab "
            "switches but not reloads.",
            ["why is undo history lost when I reload"],
        ),
        (
            "gotcha",
            "Code signing fails on macOS notarization",
            ["macos", "signing", "release"],
            "notarytool rejects the app when hardened runtime is off for the helper binaries; "
            "set hardenedRuntime: true and entitlements.mac.plist in electron-builder.yml.",
            ["mac build rejected by notarization"],
        ),
        (
            "rule",
            "Components use CSS modules, no global styles",
            ["react", "css"],
            "Each component has Foo.module.css; only src/renderer/theme.css may define globals "
            "(CSS variables for themes).",
            ["how should I style a new react component"],
        ),
        (
            "decision",
            "Zustand for renderer state",
            ["react", "state"],
            "Redux Toolkit replaced by zustand stores (useWorkspaceStore, useSettingsStore): less "
            "boilerplate, no provider tree.",
            ["what do we use for state management in the ui"],
        ),
        (
            "gotcha",
            "Playwright electron tests flaky on CI",
            ["testing", "playwright", "ci"],
            "firstWindow() resolved before the renderer loaded; tests now wait for "
            "window.quillReady. xvfb-run needed on Linux runners.",
            ["end to end tests flaky in github actions"],
        ),
        (
            "concept",
            "Plugin API surface",
            ["plugins", "api"],
            "Plugins get registerCommand, registerMarkdownExtension and the readonly workspace "
            "API; they run in a sandboxed iframe with postMessage RPC.",
            ["what can a plugin access"],
        ),
        (
            "gotcha",
            "Large files freeze the markdown preview",
            ["performance", "preview"],
            "Rendering a 5 MB markdown file synchronously blocked the UI. Preview renders in a "
            "web worker with incremental parsing by block.",
            ["ui freezes when opening a huge markdown file"],
        ),
        (
            "rule",
            "User settings are versioned and migrated",
            ["settings", "migrations"],
            "settings.json has a version field; migrateSettings() in src/main/settings.ts "
            "upgrades older files step by step. Never rename a key without a migration.",
            ["how do I rename a settings key"],
        ),
        (
            "decision",
            "Auto-update through GitHub releases",
            ["updates", "release"],
            "electron-updater reads latest.yml from GitHub releases; beta channel uses "
            "prereleases.",
            ["how does the app update itself"],
        ),
        (
            "gotcha",
            "Spellcheck language list is empty on Linux",
            ["spellcheck", "linux"],
            "session.availableSpellCheckerLanguages is empty on Linux; Electron uses hunspell "
            "dictionaries downloaded on first use. Call setSpellCheckerLanguages explicitly.",
            ["spell checking does nothing on ubuntu"],
        ),
        (
            "concept",
            "Wikilink resolution in the editor",
            ["wikilinks", "links"],
            "[[Page]] links resolve by file name anywhere in the vault, shortest path first; "
            "resolveLink() caches the vault index.",
            ["how are double bracket links resolved"],
        ),
        (
            "rule",
            "No synchronous fs calls in the main process",
            ["electron", "performance", "fs"],
            "fs.readFileSync and friends block every window. Use fs/promises; the eslint rule "
            "no-sync enforces it in src/main.",
            ["is readFileSync ok in the main process"],
        ),
        (
            "gotcha",
            "Paste from Word inserts HTML junk",
            ["clipboard", "paste"],
            "Clipboard text/html from Word carries mso styles; pasteHandler converts html to "
            "markdown with turndown and strips mso-* attributes.",
            ["pasting from microsoft word adds weird formatting"],
        ),
        (
            "decision",
            "Vault search uses a MiniSearch index in a worker",
            ["search", "worker"],
            "Full-text vault search runs MiniSearch in a shared worker, rebuilt incrementally "
            "from file watcher events.",
            ["how does searching across notes work"],
        ),
        (
            "concept",
            "Theme tokens",
            ["themes", "css"],
            "Themes set CSS variables --qp-bg, --qp-fg, --qp-accent; dark theme follows "
            "nativeTheme.shouldUseDarkColors unless overridden.",
            ["how do I add a dark mode color"],
        ),
    ],
    "harbor": [
        (
            "rule",
            "Terraform state lives in S3 with DynamoDB locking",
            ["terraform", "state"],
            "Backend s3 bucket harbor-tfstate, table harbor-tflock. Never run terraform apply "
            "locally against prod; CI applies after plan approval.",
            ["where is terraform state stored"],
        ),
        (
            "gotcha",
            "EKS node group replacement drains too fast",
            ["eks", "kubernetes", "nodes"],
            "Changing the launch template replaced all nodes at once and evicted pods faster than "
            "PDBs allowed. Set update_config max_unavailable = 1.",
            ["all pods restarted at once when we changed the node group"],
        ),
        (
            "decision",
            "Argo CD for deployments",
            ["gitops", "argocd", "deploy"],
            "Deployments are GitOps: Argo CD syncs apps from the harbor-deploy repo; kubectl "
            "apply in CI removed.",
            ["how do services get deployed to the cluster"],
        ),
        (
            "gotcha",
            "GitHub Actions OIDC role trust too narrow",
            ["github-actions", "oidc", "aws"],
            "AssumeRoleWithWebIdentity failed for tags: the trust policy matched only "
            "refs/heads/main. Add repo:org/harbor:ref:refs/tags/*.",
            ["AssumeRoleWithWebIdentity access denied on release tag"],
        ),
        (
            "rule",
            "Every workload sets requests and limits",
            ["kubernetes", "resources"],
            "Pods must set cpu/memory requests; memory limits equal requests. Kyverno policy "
            "require-requests blocks others.",
            ["do I need resource limits on a new deployment"],
        ),
        (
            "decision",
            "External Secrets Operator with AWS Secrets Manager",
            ["secrets", "kubernetes"],
            "Secrets come from AWS Secrets Manager through ExternalSecret resources; sealed "
            "secrets retired.",
            ["how do apps get their secrets in kubernetes"],
        ),
        (
            "gotcha",
            "cert-manager rate limited by Let's Encrypt",
            ["tls", "cert-manager"],
            "Recreating the staging cluster re-issued every cert and hit the 50 certs/week limit. "
            "Staging uses the LE staging issuer now.",
            ["certificates not issuing, too many certificates already issued"],
        ),
        (
            "concept",
            "Network layout",
            ["vpc", "networking"],
            "One VPC per environment, /16, three private and three public subnets; NAT gateway "
            "per AZ in prod, single NAT in staging.",
            ["how are the vpc subnets laid out"],
        ),
        (
            "gotcha",
            "Terraform plan shows drift on tags",
            ["terraform", "tags"],
            "default_tags in the provider and tags on resources conflicted, showing perpetual "
            "diffs. Use default_tags only.",
            ["terraform keeps wanting to change tags on every plan"],
        ),
        (
            "decision",
            "Karpenter replaces cluster-autoscaler",
            ["autoscaling", "karpenter", "eks"],
            "Karpenter provisions right-sized nodes in seconds; spot for stateless workloads "
            "with a consolidation policy.",
            ["how does the cluster scale nodes"],
        ),
        (
            "rule",
            "Ingress through the shared ALB with host routing",
            ["ingress", "alb"],
            "Services use aws-load-balancer-controller with group.name=shared; one ALB per "
            "environment, no per-service load balancers.",
            ["should my service get its own load balancer"],
        ),
        (
            "gotcha",
            "CoreDNS ndots causes slow external lookups",
            ["dns", "kubernetes", "performance"],
            "ndots:5 made every external name try 4 search domains first. Set dnsConfig ndots: 2 "
            "on latency-sensitive pods.",
            ["dns lookups slow from inside pods"],
        ),
        (
            "concept",
            "Observability stack",
            ["observability", "prometheus", "loki"],
            "kube-prometheus-stack for metrics, Loki for logs, Tempo for traces; Grafana is the "
            "single UI, SSO via Okta.",
            ["where do I find logs for a service"],
        ),
        (
            "decision",
            "Renovate for dependency updates",
            ["dependencies", "renovate"],
            "Renovate opens grouped PRs weekly; helm charts and terraform providers included; "
            "automerge for patch versions with green CI.",
            ["how are dependency upgrades handled"],
        ),
        (
            "gotcha",
            "Helm upgrade stuck in pending-upgrade",
            ["helm", "deploy"],
            "A cancelled CI job left the release in pending-upgrade; `helm rollback` to the last "
            "deployed revision clears it.",
            ["another operation is in progress helm error"],
        ),
        (
            "rule",
            "Backups: RDS snapshots retained 35 days",
            ["backups", "rds"],
            "Automated RDS backups keep 35 days; monthly snapshots copied to the DR region and "
            "kept a year. Restore drill each quarter.",
            ["how long are database backups kept"],
        ),
        (
            "gotcha",
            "IRSA token not mounted for old SDK",
            ["irsa", "aws", "sdk"],
            "Pods with aws-sdk-go v1.25 ignored AWS_WEB_IDENTITY_TOKEN_FILE and fell back to the "
            "node role. Minimum SDK versions listed in the runbook.",
            ["pod uses the node role instead of its service account role"],
        ),
        (
            "concept",
            "Environments and promotion",
            ["environments", "deploy"],
            "dev -> staging -> prod; promotion is a PR bumping the image tag in harbor-deploy "
            "overlays, approved by the owning team.",
            ["how do I promote a release to production"],
        ),
        (
            "decision",
            "Cost alerts via AWS Budgets per team",
            ["cost", "aws"],
            "Each team tag has an AWS Budget with alerts at 80% and 100% to its Slack channel.",
            ["who gets notified when spending goes over"],
        ),
        (
            "gotcha",
            "Pod stuck terminating on EBS volume detach",
            ["ebs", "volumes", "kubernetes"],
            "StatefulSet pods hung Terminating because the EBS CSI driver could not detach; node "
            "was gone. Force-detach via the runbook, then delete the VolumeAttachment.",
            ["statefulset pod stuck in terminating state"],
        ),
    ],
}

# Decisions that replaced older ones: (project, old, new, queries). The old page is marked
# ``status: superseded``; the questions ask what holds now, so only the new page is relevant.
SUPERSEDED = [
    (
        "ledgerly",
        (
            "Use Celery with RabbitMQ for background jobs",
            ["jobs", "queue", "celery"],
            "Background jobs (dunning, pdf, rollups) run on Celery workers with "
            "RabbitMQ as broker.",
        ),
        (
            "Move background jobs to Dramatiq on Redis",
            ["jobs", "queue", "redis"],
            "Celery with RabbitMQ replaced: Dramatiq workers on Redis for background jobs; one "
            "less broker to operate, simpler retries.",
        ),
        ["what do we use for background jobs now", "job queue broker for workers"],
    ),
    (
        "tidewatch",
        (
            "Store telemetry in InfluxDB",
            ["storage", "influxdb"],
            "Telemetry readings are stored in InfluxDB 1.8 with a 90 day retention policy.",
        ),
        (
            "Migrate telemetry storage to TimescaleDB",
            ["storage", "timescaledb"],
            "InfluxDB replaced by TimescaleDB for telemetry storage: SQL joins with the device "
            "registry, one database to run.",
        ),
        ["which database stores the telemetry readings"],
    ),
    (
        "quillpad",
        (
            "Store settings in localStorage",
            ["settings", "storage"],
            "User settings are kept in the renderer's localStorage.",
        ),
        (
            "Settings stored in settings.json in userData",
            ["settings", "storage"],
            "Settings moved from localStorage to settings.json under app.getPath('userData') "
            "so the main process can read them before a window opens.",
        ),
        ["where are user settings stored"],
    ),
    (
        "harbor",
        (
            "Jenkins pipelines for infrastructure",
            ["ci", "jenkins"],
            "Infrastructure changes are planned and applied by the Jenkins infra pipeline.",
        ),
        (
            "GitHub Actions runs terraform plan and apply",
            ["ci", "github-actions", "terraform"],
            "Jenkins retired: GitHub Actions runs terraform plan on PRs and apply after approval "
            "through the prod environment protection.",
        ),
        ["which ci system applies terraform changes"],
    ),
]

# Handoffs: (project, title, body, queries).
HANDOFFS = [
    (
        "ledgerly",
        "Handoff: Stripe tax integration half done",
        "Done: tax_rates table and apply_tax_rate. Next: call Stripe Tax for EU VAT in "
        "finalize_invoice, then fixtures. Blocked on test keys for the Stripe Tax API.",
        ["where did the previous agent stop on the stripe tax work"],
    ),
    (
        "ledgerly",
        "Handoff: customer portal export endpoint",
        "CSV export streams invoices; next step is the JSON variant and pagination tokens. "
        "Tests in tests/api/test_export.py are skipped for now.",
        ["pick up the invoice export endpoint work"],
    ),
    (
        "tidewatch",
        "Handoff: batch writer backpressure",
        "Added a bounded channel between validate and writer; still need metrics for dropped "
        "batches and a load test at 20k msg/s.",
        ["continue the backpressure work in the writer"],
    ),
    (
        "quillpad",
        "Handoff: table editing extension",
        "Tab navigation between cells works; remaining: column alignment row and paste of TSV "
        "into a table. Branch feat/tables.",
        ["what is left on the markdown table editing feature"],
    ),
    (
        "quillpad",
        "Handoff: Windows installer signing",
        "Bought the EV certificate; signtool works locally. CI needs the Azure Key Vault signing "
        "step wired into release.yml.",
        ["status of signing the windows installer"],
    ),
    (
        "harbor",
        "Handoff: upgrading EKS to 1.30",
        "Control plane upgraded in staging; addons (vpc-cni, coredns, kube-proxy) next, then "
        "node groups. Prod scheduled after a week of soak.",
        ["where are we with the kubernetes version upgrade"],
    ),
]

# Sessions an agent may want back by what happened in them: (project, title, body, queries).
SESSIONS = [
    (
        "ledgerly",
        "Session: bisecting the flaky refund test",
        "Ran git bisect over 40 commits; test_refund_partial failed only when run after "
        "test_webhook_replay because of a leaked freezegun clock. Fixed with a fixture.",
        ["which session found the cause of the flaky refund test"],
    ),
    (
        "tidewatch",
        "Session: profiling ingest CPU with pprof",
        "pprof showed 40% CPU in json.Unmarshal of the device registry response; switched to "
        "caching and the protobuf path.",
        ["when did we profile the ingest service cpu"],
    ),
    (
        "quillpad",
        "Session: memory leak hunt in the preview pane",
        "Heap snapshots in devtools showed detached DOM trees from the old preview; "
        "ResizeObserver never disconnected.",
        ["that session where we chased the preview memory leak"],
    ),
    (
        "harbor",
        "Session: incident review for the DNS outage",
        "Timeline reviewed: CoreDNS pods OOMKilled after the cache size change; raised memory "
        "and added a PodDisruptionBudget.",
        ["the dns outage incident review notes"],
    ),
]
