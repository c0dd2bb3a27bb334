import Crypto
import Foundation
import SwiftASN1
import X509

/// Makes a local certificate authority and a server certificate it signs, for HTTPS on loopback.
///
/// Writes `ca.pem` (the authority a client trusts), `cert.pem` (the server's chain) and
/// `key.pem` (its private key) into a folder. The server certificate names `localhost`,
/// `127.0.0.1` and `::1` and is valid for a year; keys are P-256.
public enum SelfSignedCertificate {
    public struct Files: Sendable, Hashable {
        public var authority: URL
        public var certificate: URL
        public var key: URL
    }

    /// Writes the three files into `folder` (created if needed) and returns their paths.
    public static func write(to folder: URL, hostNames: [String] = []) throws -> Files {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let now = Date()
        let authorityKey = P256.Signing.PrivateKey()
        let authorityName = try DistinguishedName {
            CommonName("Switchboard Dataverse Emulator Local CA")
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
        let files = Files(
            authority: folder.appendingPathComponent("ca.pem"), certificate: folder.appendingPathComponent("cert.pem"),
            key: folder.appendingPathComponent("key.pem"))
        try authority.serializeAsPEM().pemString.write(to: files.authority, atomically: true, encoding: .utf8)
        try (server.serializeAsPEM().pemString + "\n" + authority.serializeAsPEM().pemString).write(
            to: files.certificate, atomically: true, encoding: .utf8)
        try serverKey.pemRepresentation.write(to: files.key, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: files.key.path)
        return files
    }
}
