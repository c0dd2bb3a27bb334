import DataverseEmulatorCore

extension FuzzTarget {
    /// `$batch`: the input is a request's headers (`Content-Type: multipart/mixed;
    /// boundary=...`, optionally `Prefer: odata.continue-on-error`), an empty line and the
    /// multipart body. `Batch.parseBatch` reads it, and then the whole request runs as
    /// `POST $batch` against a store holding the seeded records, change sets and `$n`
    /// references included; the store is made anew for each input, so no input depends on the
    /// ones before it.
    static let batch = FuzzTarget(name: "batch", summary: "Batch.parseBatch, and POST $batch run against a fresh store", maxLength: 4_096) { bytes in
        let (headers, body) = FuzzInput.message(bytes)
        if let boundary = Batch.boundary(headers["content-type"]) {
            _ = try? Batch.parseBatch(body, boundary: boundary)
        }
        EmulatorFixture.send(EmulatorFixture.api(), "POST", "$batch", headers: headers, body: body)
    }
}
