import AlicloudKit

extension NameRule {
    /// Answers a value that breaks the rule as the real endpoint does: the rule's error code
    /// (HTTP 400), naming the parameter. An empty value counts as not given.
    func enforce(_ value: String?, as parameter: String? = nil) throws {
        guard let value, !value.isEmpty, let why = violation(value) else { return }
        throw CloudError(errorCode, "The specified parameter \"\(parameter ?? self.parameter)\" is not valid: it \(why).")
    }
}
