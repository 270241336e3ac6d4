import FoundationEssentials
import AlicloudKit

/// The KMS keys ECS can encrypt disks with: in every region the account's ECS service key
/// (`alias/acs/ecs`, used when `Encrypted=true` names no key) and one customer master key
/// for tests that name a key. Any other `KMSKeyId` is answered as the real API answers an
/// unknown key.
public enum KMSKeys {
    /// The ECS service key of a region.
    public static func serviceKey(region: String) -> String { "key-\(code(region))-ecs-service-key" }
    /// The customer master key of a region.
    public static func customerKey(region: String) -> String { "key-\(code(region))-sim-customer-key" }
    /// Whether a key exists in a region (keys are regional: a key of another region is unknown).
    public static func exists(_ id: String, region: String) -> Bool {
        id == serviceKey(region: region) || id == customerKey(region: region)
    }
    private static func code(_ region: String) -> String { Catalog.region(region)?.idCode ?? region }
}

extension Engine {
    /// The key a new disk or copy is encrypted with, from `<prefix>Encrypted` and
    /// `<prefix>KMSKeyId` (nil: not encrypted), checked as CreateInstance, RunInstances and
    /// CopyImage check them. `inherited` is the key of the snapshot the data comes from: an
    /// encrypted source stays encrypted whatever `Encrypted` says.
    func encryptionKey(_ p: (String) -> String?, prefix: String = "", region: String, inherited: String?) throws -> String? {
        let encrypted = (p(prefix + "Encrypted") ?? "false").lowercased()
        guard encrypted == "true" || encrypted == "false" else { throw CloudError.invalid(prefix + "Encrypted") }
        if let key = p(prefix + "KMSKeyId"), !key.isEmpty {
            guard encrypted == "true" else {
                throw CloudError("InvalidParameter.EncryptedIllegal", "The specified parameter Encrypted must be true when kmsKeyId is not empty.")
            }
            guard KMSKeys.exists(key, region: region) else {
                throw CloudError("InvalidParameter.KMSKeyId.NotFound", "The specified KMSKeyId does not exist.", status: 404)
            }
            return key
        }
        if let inherited { return inherited }
        return encrypted == "true" ? KMSKeys.serviceKey(region: region) : nil
    }

    /// The key of a new disk: as requested, else that of the snapshot it is made from (a disk
    /// made from an encrypted image or snapshot is encrypted). The request was checked in
    /// planInstance.
    func diskKey(_ p: (String) -> String?, prefix: String = "", region: String, snapshot: String?) -> String? {
        let inherited = snapshot.flatMap { state.snapshots[$0]?.kmsKeyId }
        return (try? encryptionKey(p, prefix: prefix, region: region, inherited: inherited)) ?? inherited
    }
}
