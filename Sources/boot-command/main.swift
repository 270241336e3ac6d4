// boot-command: type a Packer boot_command into a QEMU virtual machine through QMP.
import AlicloudKit
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

let spec = CommandSpec.bootCommand
let args = spec.parseOrExit()
signal(SIGINT) { _ in _exit(130) }
signal(SIGTERM) { _ in _exit(143) }

runTool(spec) {
    guard args.positionals.count == 1 else { throw ToolError.usage(args.positionals.isEmpty ? "no boot_command file given (- for stdin)" : "one file only") }
    let file = args.positionals[0]
    func duration(_ option: String, _ fallback: Double) throws -> Double {
        guard let text = args.value(option) else { return fallback }
        guard let d = parseGoDuration(text), d >= 0 else { throw ToolError.usage("\(option) \(text): expected a duration such as 100ms") }
        return d
    }
    let keyInterval = try duration("--key-interval", 0.1)
    let groupInterval = try duration("--group-interval", 0)
    let input: [UInt8]
    if file == "-" { input = try readAll(fd: 0) } else {
        guard let data = FileManager.default.contents(atPath: file) else { throw ToolError(.noInput, "\(file): cannot read the file") }
        input = [UInt8](data)
    }
    let entries: [String]
    do {
        guard case .array(let items) = try JSONParser.parse(input), let strings = Optional(items.compactMap(\.stringValue)),
              strings.count == items.count else { throw ToolError.data("\(file): expected a JSON array of strings") }
        entries = strings
    } catch let e as ToolError { throw e } catch { throw ToolError.data("\(file): \(error)") }
    let data = ["HTTPIP": args.value("--http-ip") ?? "10.0.2.2", "HTTPPort": args.value("--http-port") ?? "0",
                "Name": args.value("--name") ?? ""]
    var groups: [[BootAction]] = []
    for (k, entry) in entries.enumerated() {
        do throws(BootCommandError) { groups.append(try BootCommand.parse(try BootCommand.fill(entry, data))) } catch {
            throw ToolError.data("boot_command[\(k)]: \(error.message)")
        }
    }
    if args.has("--check") { return }
    guard let socket = args.value("--qmp") else { throw ToolError.usage("--qmp SOCKET is required (or --check)") }
    let keyboard = try QMPKeyboard(socket: socket, keyInterval: keyInterval)
    for group in groups {
        try keyboard.type(group)
        if groupInterval > 0 { sleepSeconds(groupInterval) }
    }
}
