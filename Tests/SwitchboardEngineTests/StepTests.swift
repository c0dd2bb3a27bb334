import Testing

@testable import SwitchboardEngine
@testable import SwitchboardModel

@Suite("Steps, inbound authentication and message ids")
struct StepTests {
    let order: JSONValue = try! JSONValue(
        json: Array(
            """
            {"id": 7, "status": "paid", "total": 12.5, "created": "2026-11-26T10:15:00Z",
             "customer": {"first": "Ada", "last": "Lovelace", "email": "ADA@X.ORG", "tier": "gold"},
             "lines": [{"sku": "A/1"}]}
            """.utf8))

    func path(_ text: String) -> JSONPath { JSONPath(text)! }

    @Test("map copies, nests, defaults, concatenates, changes case, formats dates and looks up")
    func map() throws {
        let step = MapStep(fields: [
            ("number", .path(path("$.id"))),
            ("customer.name", .concat([.path(path("$.customer.first")), .constant(.string(" ")), .path(path("$.customer.last"))])),
            ("customer.email", .lower(.path(path("$.customer.email")))),
            ("currency", .withDefault(.path(path("$.currency")), .string("EUR"))),
            ("day", .date(.path(path("$.created")), format: .date)),
            ("epoch", .date(.path(path("$.created")), format: .epochSeconds)),
            ("discount", .lookup(.path(path("$.customer.tier")), table: ["gold": .int(10)], fallback: .int(0))),
            ("first_sku", .path(path("$.lines[0].sku"))),
            ("missing", .path(path("$.nothing"))),
        ])
        guard case .next(let output) = try step.apply(to: order) else { Issue.record("map dropped the message"); return }
        let expected = try JSONValue(
            json: Array(
                """
                {"number": 7, "customer": {"name": "Ada Lovelace", "email": "ada@x.org"}, "currency": "EUR", "day": "2026-11-26",
                 "epoch": 1795688100, "discount": 10, "first_sku": "A/1"}
                """.utf8))
        #expect(output == expected)
    }

    @Test("concat with a missing or null part has no value: the field is left out, or takes its default, never a shorter text")
    func concatMissingPart() throws {
        let name = MapExpression.concat([.path(path("$.customer.first")), .constant(.string(" ")), .path(path("$.customer.middle"))])
        let step = MapStep(fields: [("name", name), ("named", .withDefault(name, .string("unknown")))])
        guard case .next(let output) = try step.apply(to: order) else { Issue.record("map dropped the message"); return }
        #expect(output == .object(["named": .string("unknown")]))
        let nulled = MapStep(fields: [("name", .concat([.constant(.string("x")), .path(path("$.gone"))]))])
        guard case .next(let empty) = try nulled.apply(to: .object(["gone": .null])) else { return }
        #expect(empty == .object([:]))
    }

    @Test("a lookup without an entry or default, and an unreadable date, are step errors")
    func stepErrors() {
        let lookup = MapStep(fields: [("x", .lookup(.path(path("$.status")), table: ["open": .int(1)], fallback: nil))])
        #expect(throws: StepError("lookup has no entry for 'paid' and no default")) { try lookup.apply(to: order) }
        let date = MapStep(fields: [("x", .date(.path(path("$.status")), format: .iso8601))])
        #expect(throws: StepError.self) { try date.apply(to: order) }
    }

    @Test("filter conditions")
    func filter() {
        func holds(_ condition: Condition) -> Bool { condition.holds(for: order) }
        #expect(holds(.compare(path("$.status"), .equals(.string("paid")))))
        #expect(!holds(.compare(path("$.status"), .notEquals(.string("paid")))))
        #expect(holds(.compare(path("$.id"), .equals(.double(7.0)))))
        #expect(holds(.compare(path("$.status"), .oneOf([.string("open"), .string("paid")]))))
        #expect(holds(.compare(path("$.customer.email"), .exists(true))))
        #expect(holds(.compare(path("$.customer.phone"), .exists(false))))
        #expect(holds(.compare(path("$.total"), .greaterThan(10))))
        #expect(!holds(.compare(path("$.total"), .lessThan(10))))
        #expect(holds(.all([.compare(path("$.id"), .exists(true)), .not(.compare(path("$.status"), .equals(.string("open"))))])))
        #expect(!holds(.any([.compare(path("$.status"), .equals(.string("open"))), .compare(path("$.missing"), .exists(true))])))
    }

    @Test("a filter that drops says which path and value failed it")
    func filterReasons() {
        func why(_ condition: Condition) -> String? { condition.unmet(by: order) }
        #expect(why(.compare(path("$.status"), .equals(.string("paid")))) == nil)
        #expect(why(.compare(path("$.status"), .equals(.string("open")))) == #"$.status is "paid", not "open""#)
        #expect(why(.compare(path("$.customer.phone"), .exists(true))) == "$.customer.phone is missing")
        #expect(why(.compare(path("$.total"), .lessThan(10))) == "$.total is 12.5, not less than 10")
        #expect(why(.compare(path("$.status"), .oneOf([.string("open"), .string("new")]))) == #"$.status is "paid", not one of "open", "new""#)
        #expect(why(.not(.compare(path("$.status"), .equals(.string("paid"))))) == #"$.status is "paid", which the filter excludes"#)
        #expect(
            why(.all([.compare(path("$.id"), .exists(true)), .compare(path("$.status"), .notEquals(.string("paid")))])) == #"$.status is "paid""#)
        #expect(
            why(.any([.compare(path("$.status"), .equals(.string("open"))), .compare(path("$.missing"), .exists(true))]))
                == #"none of the 2 holds ($.status is "paid", not "open"; $.missing is missing)"#)
    }

    @Test("a pipeline stops at the first filter that drops, with the step named")
    func pipeline() throws {
        let pipeline = Pipeline([.filter(.compare(path("$.status"), .equals(.string("open")))), .map([("x", .constant(.int(1)))])])
        #expect(try pipeline.run(order) == .drop(reason: #"step 1: filter did not match: $.status is "paid", not "open""#))
    }

    @Test("inbound authentication: shared key, HMAC-SHA256 and query key, compared in constant time")
    func authentication() {
        let secret = Secret(value: "s3cret", reference: "${env:K}")
        let body = Array(#"{"a":1}"#.utf8)
        let none: (String) -> String? = { _ in nil }
        #expect(
            InboundAuthenticator.check(
                .sharedKey(header: "X-Key", secret: secret), header: { $0 == "X-Key" ? "s3cret" : nil }, query: none, body: body) == nil)
        #expect(
            InboundAuthenticator.check(.sharedKey(header: "X-Key", secret: secret), header: { _ in "s3cret!" }, query: none, body: body)
                == .wrong("header X-Key"))
        #expect(
            InboundAuthenticator.check(.sharedKey(header: "X-Key", secret: secret), header: none, query: none, body: body) == .missing("header X-Key")
        )
        let signature = InboundAuthenticator.signature(of: body, secret: "s3cret")
        #expect(signature.count == 64)
        #expect(
            InboundAuthenticator.check(.hmacSHA256(header: "X-Sig", secret: secret), header: { _ in "sha256=" + signature }, query: none, body: body)
                == nil)
        #expect(
            InboundAuthenticator.check(.hmacSHA256(header: "X-Sig", secret: secret), header: { _ in signature }, query: none, body: body + [32])
                == .wrong("header X-Sig"))
        #expect(
            InboundAuthenticator.check(
                .queryKey(parameter: "code", secret: secret), header: none, query: { $0 == "code" ? "s3cret" : nil }, body: body) == nil)
    }

    @Test("inbound authentication: base64 HMAC as Shopify and WooCommerce send it")
    func base64Signature() throws {
        let secret = Secret(value: "shpss_secret", reference: "${env:K}")
        let body = Array(#"{"id":820982911946154508}"#.utf8)
        let none: (String) -> String? = { _ in nil }
        // Computed independently: printf '%s' '{"id":820982911946154508}' | openssl dgst -sha256 -hmac shpss_secret -binary | base64
        let expected = "jqbalbO3Z8mDmrF2/+wzM3KYvbgqzVBF969vgiIy80I="
        #expect(InboundAuthenticator.signature(of: body, secret: "shpss_secret", encoding: .base64) == expected)
        let scheme = WebhookAuthentication.hmacSHA256(header: "X-Shopify-Hmac-Sha256", secret: secret, encoding: .base64)
        #expect(InboundAuthenticator.check(scheme, header: { _ in expected }, query: none, body: body) == nil)
        #expect(
            InboundAuthenticator.check(scheme, header: { _ in expected }, query: none, body: body + [32]) == .wrong("header X-Shopify-Hmac-Sha256"))
        // The hex form of the same MAC is not the base64 form.
        #expect(
            InboundAuthenticator.check(
                scheme, header: { _ in InboundAuthenticator.signature(of: body, secret: "shpss_secret") }, query: none, body: body)
                == .wrong("header X-Shopify-Hmac-Sha256"))
    }

    @Test("inbound authentication: Stripe's t=...,v1=... within the tolerance, refused outside it and when any part is wrong")
    func timestampedSignature() {
        let secret = Secret(value: "whsec_test", reference: "${env:K}")
        let body = Array(#"{"id":"evt_1","type":"payment_intent.succeeded"}"#.utf8)
        let none: (String) -> String? = { _ in nil }
        let scheme = WebhookAuthentication.timestampedHMAC(header: "Stripe-Signature", secret: secret, tolerance: .seconds(300))
        let t: Int64 = 1_700_000_000
        let v1 = InboundAuthenticator.signature(of: Array("\(t).".utf8) + body, secret: "whsec_test")
        func check(_ header: String, at now: Int64 = 1_700_000_000_000) -> InboundAuthenticator.Failure? {
            InboundAuthenticator.check(scheme, header: { $0 == "Stripe-Signature" ? header : nil }, query: none, body: body, now: now)
        }
        #expect(check("t=\(t),v1=\(v1)") == nil)
        // Several v1 (a rotated secret) and other schemes beside it.
        #expect(check("t=\(t),v1=\(String(repeating: "0", count: 64)),v1=\(v1),v0=abc") == nil)
        #expect(check("t=\(t),v1=\(v1)", at: 1_700_000_299_000) == nil)
        #expect(
            check("t=\(t),v1=\(v1)", at: 1_700_000_301_000)
                == .stale("the timestamp in header Stripe-Signature is more than 5 min from the hub's clock, as a replayed request's would be"))
        // The signature covers the timestamp: changing it breaks the signature.
        #expect(check("t=\(t + 1),v1=\(v1)") == .wrong("header Stripe-Signature"))
        #expect(check("v1=\(v1)") == .wrong("header Stripe-Signature"))
        #expect(check("t=99999999999999999999999,v1=\(v1)") == .wrong("header Stripe-Signature"))
        #expect(check("t=-9223372036854775808,v1=\(v1)") != nil)
        #expect(InboundAuthenticator.check(scheme, header: none, query: none, body: body, now: 0) == .missing("header Stripe-Signature"))
    }

    @Test("message ids sort by time and do not repeat")
    func messageIDs() {
        let ids = (0..<1000).map { MessageID.make(now: 1_700_000_000_000 + Int64($0 / 10)) }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy { $0.count == 26 })
        #expect(MessageID.make(now: 1_700_000_000_000) < MessageID.make(now: 1_700_000_000_001))
    }
}
