import SwitchboardEngine

extension FuzzTarget {
    /// `Retry-After` as a target answers it (`RetryAfter.deadline`: delay-seconds or an
    /// HTTP-date), through the classifier that reads it for a `429` and a `503`. The deadline it
    /// gives is never before now, and delay-seconds never push it more than a day ahead.
    static let retryAfter = FuzzTarget(
        name: "retryafter", summary: "RetryAfter.deadline and OutcomeClassifier on a 429/503 answer", maxLength: 128
    ) { bytes in
        let text = FuzzInput.text(bytes)
        let now: Int64 = 1_767_225_600_000
        if let deadline = RetryAfter.deadline(text, now: now) {
            precondition(deadline >= now, "Retry-After '\(text)' gives a deadline before now")
        }
        _ = OutcomeClassifier.classify(.response(status: 429, retryAfter: text, body: ""), now: now)
        _ = OutcomeClassifier.classify(.transient(status: 503, retryAfter: text, body: ""), now: 0)
    }
}
