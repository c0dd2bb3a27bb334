/// The workspace `switchboard init` writes: it runs as it is against `switchboard sink` on
/// port 9090, and its comments explain every field. docs/workspace.md describes the same format.
enum QuickstartTemplate {
    static let files: [(path: String, contents: String)] = [
        ("switchboard.yaml", landscape),
        ("integrations/webshop-orders.yaml", webshopOrders),
        ("secrets/webshop-key", "dev-webshop-key-change-me\n"),
        ("secrets/erp-token", "dev-erp-token\n"),
        (".gitignore", "# Local state and development secrets stay out of git.\n.switchboard/\nsecrets/\n"),
    ]

    static let landscape = #"""
        # switchboard.yaml: the landscape. Every integration in integrations/ refers to it.
        # Format version; only 1 exists.
        version: 1

        # The organisation's goals. Integrations name the ones they serve under aligns_with.
        goals:
          - id: order-to-cash
            title: Orders flow from the web shop to invoicing without retyping

        # Environments in order; the first is the default for run, validate and test (--env picks another).
        environments: [development, production]

        # Where the hub listens. port 0 picks a free port. max_body_bytes caps inbound bodies (default 1 MiB).
        # shutdown_grace bounds how long SIGTERM waits for in-flight deliveries (default 10s).
        server:
          host: 127.0.0.1
          port: 8080
          max_body_bytes: 1048576
          shutdown_grace: 10s

        # The embedded store. path is relative to this folder. durability: full (default) fsyncs each
        # commit before a message is acknowledged; normal survives a hub crash but not a power loss.
        # retention: how long audit records and finished messages are kept (default 7d).
        store:
          path: .switchboard/state.sqlite
          durability: full
          retention: 7d

        # Systems: kind (http, dataverse, postgres, sqlite, files), location (cloud or on-premises),
        # owner, connections per environment, and limits shared by every integration that writes to it.
        systems:
          - id: webshop
            kind: http
            location: cloud
            owner: E-commerce team
            description: The public web shop; posts a webhook for every order change.

          - id: erp
            kind: http
            location: on-premises
            owner: Finance IT
            description: The ERP's order API, reached through the on-premises gateway.
            connections:
              # base_url is prefixed to every target path. Header values that are credentials must be
              # secret references: ${env:NAME} reads an environment variable, ${file:PATH} a file
              # (relative to this folder). Only the active environment's references must resolve.
              development:
                base_url: http://127.0.0.1:9090
                headers:
                  Authorization: "Bearer ${file:secrets/erp-token}"
              production:
                base_url: https://erp-gateway.example.com
                headers:
                  Authorization: "Bearer ${env:ERP_TOKEN}"
            # At most max_concurrent requests in flight and max_requests per sliding window, across
            # every integration that writes to this system. Omit a field for no limit.
            limits:
              max_concurrent: 8
              max_requests: 200
              window: 1s

        # Who hears about trouble: on dead_letters, errors, backlog, source_failures, target_down or
        # throttling, for every integration (or a list in integrations), through teams, slack, webhook
        # (a URL reference) or email.
        alerts:
          - id: integration-team
            on: [dead_letters, errors]
            notify: { kind: webhook, url: "${env:ALERT_WEBHOOK_URL}" }

        # Architecture principles: switchboard check holds every integration's design against them; an
        # integration that breaks one records an exception with its reason and approver. Each states one of
        # default_pattern, sync_allowed_when, boundary_via, preferred_styles (styles: user-interface, data,
        # process, dataverse, per system kind) or no_personal_data_to (with personal_fields).
        principles:
          - id: async-first
            title: Integrations exchange asynchronous messages
            default_pattern: async
          - id: sync-only-when-waiting
            title: A synchronous call only where a person waits for the answer
            sync_allowed_when: a person waits on screen for the answer and the target answers within 2 seconds
          - id: one-way-into-the-data-centre
            title: The cloud reaches on-premises systems only through the reverse proxy or Azure Relay
            boundary_via: [reverse proxy, Azure Relay]
          - id: integrate-by-data
            title: Business systems are integrated by data or by process, Dynamics 365 natively where it can be
            preferred_styles: { http: [data, process], dataverse: [dataverse, data] }
        """#

    static let webshopOrders = #"""
        # One integration per file. id must be unique and may hold letters, digits, '-' and '_'.
        id: webshop-orders
        title: Web-shop orders to the ERP

        # Why it exists, in words the business uses, and what it brings.
        goal: Every paid web-shop order becomes a sales order in the ERP within a minute, so fulfilment starts without retyping.
        benefits:
          - No manual order entry in Finance
          - Orders reach the warehouse the same day
        aligns_with: [order-to-cash]
        owner: Integration team
        stakeholders: [Finance IT, E-commerce team]

        # async (the default): the source gets 202 as soon as the message is stored; delivery follows.
        # A sync integration needs sync_justification. From the cloud shop to the on-premises ERP:
        # boundary_crossing says how the data gets there (switchboard check asks for both).
        pattern: async
        boundary_crossing: The hub runs in the data centre; the shop's webhook reaches it through the reverse proxy in the DMZ.

        # The design decision: the style (user-interface, data, process or dataverse), the options that
        # were weighed with their benefits and drawbacks, the one chosen and why, and any exception to a
        # principle (principle, reason, approver).
        design:
          style: data
          options:
            - name: Nightly CSV export from the shop
              style: data
              benefits: [no change to the shop]
              drawbacks: [orders wait up to a day, a failed file loses a whole day]
            - name: Order webhook through the hub
              style: data
              benefits: [orders reach the ERP within a minute, every order retried and audited on its own]
              drawbacks: [the hub is one more service to run]
          chosen: Order webhook through the hub
          reason: Fulfilment must start the same day, and a failed order must be visible and replayable.

        # Where messages come from: a webhook. POST JSON to http://127.0.0.1:8080/hooks/webshop-orders.
        # auth kind: header (a shared key in a header), hmac (hex HMAC-SHA256 of the body in a header),
        # query (a key in the query string, as Dataverse webhooks send ?code=), or none.
        source:
          system: webshop
          webhook:
            path: /hooks/webshop-orders
            auth:
              kind: header
              header: X-Api-Key
              secret: ${file:secrets/webshop-key}

        # Steps run in order on the JSON body. filter drops what does not match (recorded as filtered);
        # map builds a new document: "$.path" copies, plain values are constants, and the functions are
        # copy (with default), const, concat, lower, upper, date (format iso8601, date, epoch_seconds,
        # epoch_millis), lookup (with table and default), odata_literal and odata_bind (with key or id).
        # Dotted output names nest: customer.name.
        steps:
          - filter: { path: $.status, equals: paid }
          - map:
              order_number: $.id
              customer.number: $.customer.id
              customer.name: { concat: [$.customer.first_name, " ", $.customer.last_name] }
              customer.email: { lower: $.customer.email }
              currency: { copy: $.currency, default: EUR }
              order_date: { date: $.created_at, format: date }
              payment_terms: { lookup: $.payment, table: { card: PREPAID, invoice: NET30 }, default: PREPAID }
              channel: web
              lines: $.lines

        # Where messages go: an HTTP request to the system's base_url. {$.path} placeholders take values
        # from the mapped document. body is the path of what to send (default $, the whole document).
        target:
          system: erp
          http:
            method: PUT
            path: /api/sales-orders/{$.order_number}
            headers:
              X-Source: webshop

        # Delivery: retries with exponential backoff and full jitter; 408, 425, 429, 5xx, timeouts and
        # connection errors retry (honouring Retry-After), other 4xx go to the dead letters at once.
        delivery:
          max_attempts: 8
          backoff: { initial: 1s, max: 5m, multiplier: 2, jitter: full }
          timeout: 15s
          # Orders of one customer are delivered one at a time, in arrival order (a path in the body).
          ordering_key: $.customer.id
          # A repeated webhook with the same key inside the window gets the first message's id and is
          # not delivered again. { header: NAME } or { path: $.field }.
          idempotency_key: { header: Idempotency-Key }
          idempotency_window: 24h
          # Deliveries of this integration in flight at once.
          concurrency: 8

        # Expected traffic and objectives, used by capacity planning and reviews.
        volumes: { per_day: 5000, peak_per_minute: 120, payload_bytes: 2048 }
        slo: { delivery_latency: 60s }

        # Tests run by `switchboard test`, with no network: an input and the request it must produce
        # (fields left out are not compared), or filtered: true.
        tests:
          - name: a paid order becomes an ERP sales order
            input:
              id: 1001
              status: paid
              created_at: "2026-11-26T10:15:00Z"
              payment: invoice
              customer: { id: C-42, first_name: Ada, last_name: Lovelace, email: Ada@Example.com }
              lines: [{ sku: SKU-1, quantity: 2 }]
            expect:
              request:
                method: PUT
                path: /api/sales-orders/1001
                headers: { X-Source: webshop }
                body:
                  order_number: 1001
                  customer: { number: C-42, name: Ada Lovelace, email: ada@example.com }
                  currency: EUR
                  order_date: "2026-11-26"
                  payment_terms: NET30
                  channel: web
                  lines: [{ sku: SKU-1, quantity: 2 }]
          - name: an unpaid order is filtered
            input: { id: 1002, status: pending, customer: { id: C-42 } }
            expect: { filtered: true }
        """#
}
