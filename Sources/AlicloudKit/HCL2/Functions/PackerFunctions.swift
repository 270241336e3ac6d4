extension HCLFunctions {
    /// Packer's own functions that read the outside world: `env` (only in a variable's
    /// default, as Packer allows), and the secret stores this toolkit never calls.
    static let packer: [String: HCLFunction] = {
        var table: [String: HCLFunction] = [
            "env": HCLFunction([HCLParameter("key", .string)]) { a, c throws(HCLFunctionError) in
                guard c.envAllowed else {
                    throw HCLFunctionError("env can only be used in the default value of a variable (as in Packer); give the value to a variable with `default = env(\"\(a[0].argString)\")` and use var.<name>")
                }
                return .string(c.environment[a[0].argString] ?? "")
            },
        ]
        let secretStores: [(String, [HCLParameter], String)] = [
            ("aws_secretsmanager", [HCLParameter("name", .string), HCLParameter("key", .string)], "AWS Secrets Manager"),
            ("aws_secretsmanager_raw", [HCLParameter("name", .string)], "AWS Secrets Manager"),
            ("vault", [HCLParameter("path", .string), HCLParameter("key", .string)], "Vault"),
            ("consul_key", [HCLParameter("key", .string)], "Consul"),
        ]
        for (name, parameters, service) in secretStores {
            table[name] = HCLFunction(parameters) { _, _ throws(HCLFunctionError) in
                throw HCLFunctionError("\(name) is not supported: tmpl-render never calls external services such as \(service); pass the value with -var, -var-file or PKR_VAR_<name>")
            }
        }
        return table
    }()
}
