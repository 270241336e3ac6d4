import FoundationEssentials

/// The operations winrm-run and the Windows provisioners need on top of the shell
/// protocol: cmd and PowerShell runs (uploading scripts over cmd.exe's line limit),
/// winrmcp-style uploads and the wait for WinRM to answer.
public struct WinRMSession: Sendable {
    /// The endpoint.
    public var endpoint: WinRMEndpoint

    /// Makes a session (no traffic yet).
    public init(_ endpoint: WinRMEndpoint) { self.endpoint = endpoint }

    /// Runs a cmd.exe command line in a new shell; returns the exit code.
    public func run(_ commandLine: String, stdin: [UInt8]? = nil,
                    output: (WinRMStream, [UInt8]) throws -> Void) throws -> UInt32 {
        guard commandLine.count <= PowerShell.commandLineLimit else {
            throw ToolError.usage("command line is \(commandLine.count) characters; cmd.exe takes at most \(PowerShell.commandLineLimit) (use --powershell, which uploads long scripts)")
        }
        return try WinRMClient(endpoint).run(commandLine, stdin: stdin, output: output)
    }

    /// Runs a PowerShell script: inline as `-EncodedCommand` when it fits cmd.exe's line,
    /// otherwise uploaded to `C:\Windows\Temp` and run with `-File`, then removed. stderr
    /// is collected and CLIXML turned into plain text before it reaches `output`.
    public func runPowerShell(_ script: String, output: (WinRMStream, [UInt8]) throws -> Void) throws -> UInt32 {
        var stderr: [UInt8] = []
        let forward: (WinRMStream, [UInt8]) throws -> Void = { stream, bytes in
            if stream == .stderr { stderr += bytes } else { try output(.stdout, bytes) }
        }
        let inline = PowerShell.commandLine(script)
        let code: UInt32
        if inline.count <= PowerShell.commandLineLimit {
            code = try run(inline, output: forward)
        } else {
            let path = "C:\\Windows\\Temp\\winrm-run-\(UUID().uuidString.lowercased()).ps1"
            try upload(Array(("$ProgressPreference = 'SilentlyContinue'\n" + script).utf8), to: path)
            defer { _ = try? run("del /q \"\(path)\"") { _, _ in } }
            code = try run("powershell -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"\(path)\"", output: forward)
        }
        if !stderr.isEmpty { try output(.stderr, CLIXML.plainText(stderr)) }
        return code
    }

    /// Copies bytes to `destination` as winrmcp does: base64 chunks appended with `echo`
    /// to a file in %TEMP% (a new shell every 15 chunks), then a PowerShell restore step.
    public func upload(_ bytes: [UInt8], to destination: String) throws {
        let upload = WinRMUpload(destination: destination)
        let commands = upload.chunkCommands(bytes)
        var index = 0
        while index < commands.count {
            let batch = commands[index..<min(commands.count, index + upload.operationsPerShell)]
            let client = WinRMClient(endpoint)
            let shell = try client.createShell()
            defer { try? client.deleteShell(shell) }
            for line in batch {
                let cid = try client.startCommand(shellID: shell, line)
                var answer = try client.receive(shellID: shell, commandID: cid)
                var errors: [UInt8] = []
                while true {
                    errors += answer.chunks.filter { $0.name == "stderr" }.flatMap(\.bytes)
                    if answer.done { break }
                    try SignalForwarding.checkInterrupted()
                    answer = try client.receive(shellID: shell, commandID: cid)
                }
                try? client.signal(shellID: shell, commandID: cid, .terminate)
                guard answer.exitCode ?? 0 == 0 else {
                    throw ToolError.failed("upload to \(destination): appending a chunk failed (exit \(answer.exitCode!)): \(String(decoding: errors, as: UTF8.self).trimmingSpace())")
                }
            }
            index += batch.count
        }
        if commands.isEmpty {
            // An empty file: create the temp file so the restore step has something to decode.
            _ = try run("type nul > \"\(upload.tempPath)\"") { _, _ in }
        }
        var errors: [UInt8] = []
        let code = try runPowerShell(upload.restoreScript) { stream, b in if stream == .stderr { errors += b } }
        guard code == 0 else {
            throw ToolError.failed("upload to \(destination): restore operation returned code=\(code): \(String(decoding: errors, as: UTF8.self).trimmingSpace())")
        }
    }

    /// Waits until WinRM answers as Packer checks it: a shell opens and closes, then
    /// `echo "WinRM connected."` prints it. Retries every `interval` seconds; throws
    /// ToolError 75 after `timeout`, 77 at once on a 401 (a wrong password never heals).
    public func waitUntilReady(timeout: Double, interval: Double = 2, progress: (String) -> Void = { _ in }) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no answer yet"
        var short = endpoint
        short.operationTimeout = min(endpoint.operationTimeout, 60)
        short.http.connectTimeout = min(endpoint.http.connectTimeout, 5)
        while true {
            try SignalForwarding.checkInterrupted()
            do {
                let client = WinRMClient(short)
                let shell = try client.createShell()
                try client.deleteShell(shell)
                var out: [UInt8] = []
                _ = try WinRMSession(short).runPowerShell("echo \"WinRM connected.\"") { s, b in if s == .stdout { out += b } }
                if String(decoding: out, as: UTF8.self).contains("WinRM connected.") { return }
                last = "the connection check printed no \"WinRM connected.\""
            } catch let e as ToolError where e.status == .noPermission {
                throw e
            } catch let e as ToolError {
                last = e.message
            } catch let f as WSManFault {
                last = "fault \(f.code ?? f.subcode): \(f.reason)"
            }
            progress(last)
            let left = deadline.timeIntervalSinceNow
            if left <= 0 {
                throw ToolError(.tempFail, "\(endpoint.host):\(endpoint.port): WinRM not available after \(Int(timeout))s (last: \(last))")
            }
            try SignalForwarding.sleep(min(interval, left))
        }
    }
}
