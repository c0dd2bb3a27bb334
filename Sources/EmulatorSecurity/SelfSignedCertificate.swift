import Crypto
import Foundation
import SwiftASN1
import X509

/// Makes a local certificate authority and a server certificate it signs, for HTTPS on loopback.
///
/// Writes `ca.pem` (the authority a client trusts), `ca-key.pem` (its private key, so the same
/// authority signs the next certificate), `cert.pem` (the server's chain) and `key.pem` (its
/// private key) into a folder. The server certificate names `localhost`, `127.0.0.1` and `::1`
/// and is valid for a year, the authority for ten; keys are P-256; private keys are mode 0600.
public enum SelfSignedCertificate {
    public struct Files: Sendable, Hashable {
        public var authority: URL
        public var certificate: URL
        public var key: URL
    }

    /// What `prepare` did with the folder's files.
    public enum Outcome: Sendable, Hashable {
        /// The authority and the server certificate there were kept as they were.
        case keptBoth
        /// The authority was kept; a new server certificate it signs was written.
        case keptAuthority
        /// There was no usable authority: a new one and its server certificate were written.
        case wroteNew
    }

    /// Keeps what `folder` holds when it can, so a client that trusts its `ca.pem` goes on
    /// trusting the emulator across restarts: the authority while it is valid for another day
    /// and its key matches; the server certificate too while it is valid for another day, is
    /// signed by that authority, matches its key and names every host asked for. Otherwise
    /// writes what is missing (`write`).
    public static func prepare(in folder: URL, hostNames: [String] = [], now: Date = Date()) throws -> (Files, Outcome) {
        let files = Files(
            authority: folder.appendingPathComponent("ca.pem"), certificate: folder.appendingPathComponent("cert.pem"),
            key: folder.appendingPathComponent("key.pem"))
        let authorityKeyFile = folder.appendingPathComponent("ca-key.pem")
        func text(_ url: URL) -> String? { try? String(contentsOf: url, encoding: .utf8) }
        let soon = now.addingTimeInterval(86_400)
        guard let authorityPEM = text(files.authority), let authority = try? Certificate(pemEncoded: authorityPEM),
            let keyPEM = text(authorityKeyFile), let authorityKey = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM),
            authority.publicKey == Certificate.PublicKey(authorityKey.publicKey), authority.notValidAfter > soon
        else {
            return (try write(to: folder, hostNames: hostNames, now: now), .wroteNew)
        }
        // cert.pem is the chain: the server's certificate first, then the authority's.
        if let chain = text(files.certificate), let first = try? PEMDocument.parseMultiple(pemString: chain).first,
            let server = try? Certificate(pemDocument: first), let serverKeyPEM = text(files.key),
            let serverKey = try? P256.Signing.PrivateKey(pemRepresentation: serverKeyPEM),
            server.publicKey == Certificate.PublicKey(serverKey.publicKey), server.issuer == authority.subject, server.notValidAfter > soon,
            let names = try? server.extensions.subjectAlternativeNames,
            hostNames.allSatisfy({ host in names.contains(.dnsName(host)) })
        {
            return (files, .keptBoth)
        }
        try writeServer(files, authority: authority, authorityKey: authorityKey, hostNames: hostNames, now: now)
        return (files, .keptAuthority)
    }

    /// Writes a new authority and server certificate into `folder` (created if needed) and returns their paths.
    public static func write(to folder: URL, hostNames: [String] = [], now: Date = Date()) throws -> Files {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let authorityKey = P256.Signing.PrivateKey()
        let authorityName = try DistinguishedName {
            CommonName("Switchboard Emulator Local CA")
            OrganizationName("Switchboard")
        }
        let authority = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(authorityKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3_600), notValidAfter: now.addingTimeInterval(3_650 * 86_400),
            issuer: authorityName, subject: authorityName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                SubjectKeyIdentifier(hash: .init(authorityKey.publicKey))
            },
            issuerPrivateKey: .init(authorityKey))
        let files = Files(
            authority: folder.appendingPathComponent("ca.pem"), certificate: folder.appendingPathComponent("cert.pem"),
            key: folder.appendingPathComponent("key.pem"))
        try authority.serializeAsPEM().pemString.write(to: files.authority, atomically: true, encoding: .utf8)
        let authorityKeyFile = folder.appendingPathComponent("ca-key.pem")
        try authorityKey.pemRepresentation.write(to: authorityKeyFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: authorityKeyFile.path)
        try writeServer(files, authority: authority, authorityKey: authorityKey, hostNames: hostNames, now: now)
        return files
    }

    /// A server certificate signed by `authority`, and its key, written to `files`.
    private static func writeServer(
        _ files: Files, authority: Certificate, authorityKey: P256.Signing.PrivateKey, hostNames: [String], now: Date
    ) throws {
        let authorityName = authority.subject
        let serverKey = P256.Signing.PrivateKey()
        var names: [GeneralName] = [
            .dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
            .ipAddress(ASN1OctetString(contentBytes: ArraySlice(repeating: 0, count: 15) + [1])),
        ]
        names += hostNames.map { .dnsName($0) }
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(serverKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3_600), notValidAfter: now.addingTimeInterval(365 * 86_400),
            issuer: authorityName, subject: try DistinguishedName { CommonName("localhost") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                AuthorityKeyIdentifier(keyIdentifier: try authority.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: .init(authorityKey))
        try (server.serializeAsPEM().pemString + "\n" + authority.serializeAsPEM().pemString).write(
            to: files.certificate, atomically: true, encoding: .utf8)
        try serverKey.pemRepresentation.write(to: files.key, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: files.key.path)
    }
}
