/// What an HCL2 function may read besides its arguments.
public struct HCLFunctionContext: Sendable {
    /// `path.root`: the template's directory; relative paths of `file`, `fileset`,
    /// `templatefile` ... are taken from here (as Packer does).
    public var baseDir: String
    /// `path.cwd`: the current directory.
    public var pwd: String
    /// The environment (`env`, `pathexpand`'s HOME).
    public var environment: [String: String]
    /// The render's one clock (`timestamp`, `uuidv4`).
    public var clock: RenderClock
    /// Whether `env` may be called here: Packer allows it only in variable defaults.
    public var envAllowed: Bool

    /// Makes a context.
    public init(baseDir: String, pwd: String, environment: [String: String], clock: RenderClock, envAllowed: Bool = false) {
        self.baseDir = baseDir
        self.pwd = pwd
        self.environment = environment
        self.clock = clock
        self.envAllowed = envAllowed
    }
}

/// One parameter of an HCL2 function: its name (for messages) and type (arguments are
/// converted to it before the call; `.dynamic` takes any value as it is).
public struct HCLParameter: Sendable {
    /// The name Packer's docs and messages use (`str`, `list`, `path`).
    public var name: String
    /// The type arguments are converted to.
    public var type: HCLType
    /// Whether null may be passed (otherwise "argument must not be null").
    public var allowNull: Bool

    /// Makes a parameter.
    public init(_ name: String, _ type: HCLType, allowNull: Bool = false) {
        self.name = name
        self.type = type
        self.allowNull = allowNull
    }
}

/// Why a function call failed: which argument (if one is to blame) and cty's message.
public struct HCLFunctionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 0-based argument at fault, or nil for the call as a whole.
    public var argument: Int?
    /// The message, lower-case first word as HCL prints it after `Call to function "f" failed: `.
    public var message: String

    /// Makes an error.
    public init(argument: Int? = nil, _ message: String) {
        self.argument = argument
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// An HCL2 function: fixed parameters, an optional variadic one, and its body.
public struct HCLFunction: Sendable {
    /// The fixed parameters, in order.
    public var parameters: [HCLParameter]
    /// The parameter that takes any number of further arguments.
    public var variadic: HCLParameter?
    /// The body: arguments already counted and converted to the parameters' types.
    public var body: @Sendable ([HCLValue], HCLFunctionContext) throws(HCLFunctionError) -> HCLValue

    /// Makes a function.
    public init(_ parameters: [HCLParameter], variadic: HCLParameter? = nil,
                _ body: @escaping @Sendable ([HCLValue], HCLFunctionContext) throws(HCLFunctionError) -> HCLValue) {
        self.parameters = parameters
        self.variadic = variadic
        self.body = body
    }
}

/// Packer's HCL2 function library (cty's standard functions plus Packer's own).
/// `can`, `try` and `templatefile` need unevaluated expressions or the evaluator and
/// are the evaluator's; every other name Packer documents is here, or is refused here
/// with a message naming it (`vault`, `consul_key`, `aws_secretsmanager`).
public enum HCLFunctions {
    /// Every function by name.
    public static let all: [String: HCLFunction] = {
        var table: [String: HCLFunction] = [:]
        for part in parts { table.merge(part) { a, _ in a } }
        return table
    }()

    /// The tables the library is made of (one per family: numeric, string, collection ...).
    static let parts: [[String: HCLFunction]] = [numeric, strings, collections, encoding, filesystem, dateTime, crypto, rsa, network, packer]

    /// Calls `name`: checks the argument count, converts each argument to its parameter's
    /// type (cty's messages), then runs the body.
    public static func call(_ name: String, _ arguments: [HCLValue], _ context: HCLFunctionContext) throws(HCLFunctionError) -> HCLValue {
        guard let f = all[name] else { throw HCLFunctionError("there is no function named \"\(name)\"") }
        let fixed = f.parameters.count
        if arguments.count < fixed {
            throw HCLFunctionError("not enough arguments: function \"\(name)\" expects \(f.variadic == nil ? "" : "at least ")\(fixed) argument\(fixed == 1 ? "" : "s"); missing value for \"\(f.parameters[arguments.count].name)\"")
        }
        if arguments.count > fixed && f.variadic == nil {
            throw HCLFunctionError(argument: fixed, "too many arguments: function \"\(name)\" expects only \(fixed) argument\(fixed == 1 ? "" : "s")")
        }
        var converted: [HCLValue] = []
        for (i, arg) in arguments.enumerated() {
            let p = i < fixed ? f.parameters[i] : f.variadic!
            if arg.isNull && !p.allowNull { throw HCLFunctionError(argument: i, "invalid value for \"\(p.name)\" parameter: argument must not be null") }
            do { converted.append(try arg.converted(to: p.type)) } catch {
                throw HCLFunctionError(argument: i, "invalid value for \"\(p.name)\" parameter: \(error)")
            }
        }
        return try f.body(converted, context)
    }
}
