import AlicloudKit
import Foundation
import Testing

/// The captured requests of /work/shared/ref/winrm-captures.jsonl that these tests use,
/// byte for byte (pywinrm 0.5.0, `run_cmd('echo', ['hi'])` and the stdin scenario).
enum WinRMCaptures {
    static let prolog = #"<?xml version="1.0" encoding="utf-8"?>"# + "\n"
        + #"<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:cfg="http://schemas.microsoft.com/wbem/wsman/1/config">"#

    static func header(_ messageID: String, _ timeout: String, _ action: String, shell: String?, options: String) -> String {
        var h = #"<env:Header><a:To>http://windows-host:5985/wsman</a:To><a:ReplyTo><a:Address mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><w:MaxEnvelopeSize mustUnderstand="true">153600</w:MaxEnvelopeSize><a:MessageID>"#
        h += messageID
        h += #"</a:MessageID><w:Locale mustUnderstand="false" xml:lang="en-US"></w:Locale><p:DataLocale mustUnderstand="false" xml:lang="en-US"></p:DataLocale><w:OperationTimeout>"#
        h += timeout + #"</w:OperationTimeout><w:ResourceURI mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI><a:Action mustUnderstand="true">"#
        h += action + "</a:Action>"
        if let shell { h += #"<w:SelectorSet><w:Selector Name="ShellId">"# + shell + "</w:Selector></w:SelectorSet>" }
        return h + options + "</env:Header>"
    }

    // seq 0: Create (1683 bytes on the wire).
    static let create = prolog + header("uuid:a262ec00-a1cf-421b-a237-88ee28f9590e", "PT20S", "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", shell: nil,
        options: #"<w:OptionSet><w:Option Name="WINRS_NOPROFILE">FALSE</w:Option><w:Option Name="WINRS_CODEPAGE">437</w:Option></w:OptionSet>"#)
        + #"<env:Body><rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell></env:Body></env:Envelope>"#
    static let shellID = "6C30D7BC-23F0-4101-89BF-E10FEFC2F60B"
    static let commandID = "977DCE69-C095-444E-A684-C504FF92F19F"
    // seq 1: Command (1797 bytes).
    static let command = prolog + header("uuid:aff6d03b-b942-496e-84fc-97c96a0ff801", "PT20S", "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command", shell: shellID,
        options: #"<w:OptionSet><w:Option Name="WINRS_CONSOLEMODE_STDIN">TRUE</w:Option><w:Option Name="WINRS_SKIP_CMD_SHELL">FALSE</w:Option></w:OptionSet>"#)
        + "<env:Body><rsp:CommandLine><rsp:Command>echo</rsp:Command><rsp:Arguments>hi</rsp:Arguments></rsp:CommandLine></env:Body></env:Envelope>"
    // seq 2: Receive (1689 bytes).
    static let receive = prolog + header("uuid:a3cf3a01-0384-4a77-b4d3-7bfbfe943280", "PT20S", "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive", shell: shellID, options: "")
        + #"<env:Body><rsp:Receive><rsp:DesiredStream CommandId="977DCE69-C095-444E-A684-C504FF92F19F">stdout stderr</rsp:DesiredStream></rsp:Receive></env:Body></env:Envelope>"#
    // seq 3: Signal (1727 bytes).
    static let signal = prolog + header("uuid:1bd810d4-8891-4240-8ece-e24749dfb989", "PT20S", "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal", shell: shellID, options: "")
        + #"<env:Body><rsp:Signal CommandId="977DCE69-C095-444E-A684-C504FF92F19F"><rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate</rsp:Code></rsp:Signal></env:Body></env:Envelope>"#
    // seq 4: Delete (1551 bytes).
    static let delete = prolog + header("uuid:05a45c42-5d38-4b03-aaf9-256c7742cb08", "PT20S", "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", shell: shellID, options: "")
        + "<env:Body></env:Body></env:Envelope>"
    // seq 17: Send with End (1760 bytes), OperationTimeout PT1S.
    static let send = prolog + header("uuid:bc30fd88-03e8-4e67-ba2a-93578fe016ff", "PT1S", "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send", shell: "02AF04D1-32B2-4226-8FBD-A97D89AF7B94", options: "")
        + #"<env:Body><rsp:Send><rsp:Stream CommandId="0C230720-EB7C-452F-BD48-4A819FCACA07" Name="stdin" End="true" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">aGVsbG8gc3RkaW4K</rsp:Stream></rsp:Send></env:Body></env:Envelope>"#

    /// The OperationTimeout fault, verbatim from a real Windows (masterzen fixture_test.go).
    static let timedOutFault = #"<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action><a:MessageID>uuid:D6232298-AF04-4853-AFC5-FEEB5732B81D</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>uuid:e54190b3-e060-4b5c-4779-b63ab4963bac</a:RelatesTo></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="127.0.0.1"><f:Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>"#
}

@Suite("WinRM client")
struct WinRMClientTests {
    let pywinrm = WSManEnvelope(to: "http://windows-host:5985/wsman", operationTimeout: 20)

    @Test func createMatchesCapture() {
        let built = pywinrm.create(noProfile: false, codepage: 437, messageID: "uuid:a262ec00-a1cf-421b-a237-88ee28f9590e")
        #expect(built == WinRMCaptures.create)
        #expect(built.utf8.count == 1683)
    }

    @Test func commandMatchesCapture() {
        let built = pywinrm.command(shellID: WinRMCaptures.shellID, command: "echo", arguments: ["hi"],
                                    messageID: "uuid:aff6d03b-b942-496e-84fc-97c96a0ff801")
        #expect(built == WinRMCaptures.command)
        #expect(built.utf8.count == 1797)
    }

    @Test func receiveSignalDeleteMatchCaptures() {
        let r = pywinrm.receive(shellID: WinRMCaptures.shellID, commandID: WinRMCaptures.commandID, messageID: "uuid:a3cf3a01-0384-4a77-b4d3-7bfbfe943280")
        #expect(r == WinRMCaptures.receive && r.utf8.count == 1689)
        let s = pywinrm.signal(shellID: WinRMCaptures.shellID, commandID: WinRMCaptures.commandID, code: .terminate, messageID: "uuid:1bd810d4-8891-4240-8ece-e24749dfb989")
        #expect(s == WinRMCaptures.signal && s.utf8.count == 1727)
        let d = pywinrm.delete(shellID: WinRMCaptures.shellID, messageID: "uuid:05a45c42-5d38-4b03-aaf9-256c7742cb08")
        #expect(d == WinRMCaptures.delete && d.utf8.count == 1551)
    }

    @Test func sendMatchesCapture() {
        let one = WSManEnvelope(to: "http://windows-host:5985/wsman", operationTimeout: 1)
        let built = one.send(shellID: "02AF04D1-32B2-4226-8FBD-A97D89AF7B94", commandID: "0C230720-EB7C-452F-BD48-4A819FCACA07",
                             bytes: Array("hello stdin\n".utf8), end: true, messageID: "uuid:bc30fd88-03e8-4e67-ba2a-93578fe016ff")
        #expect(built == WinRMCaptures.send && built.utf8.count == 1760)
    }

    @Test func commandTextIsEscaped() throws {
        let built = pywinrm.command(shellID: "S", command: "echo a & echo <b> \"c\"")
        let root = try #require(XMLElementNode.parse(Array(built.utf8)))
        #expect(root.first("Command", WSMan.shell)?.text == "echo a & echo <b> \"c\"")
    }

    @Test func ourOwnCreateUsesUTF8AndNoProfile() throws {
        let root = try #require(XMLElementNode.parse(Array(WSManEnvelope(to: "http://h:5985/wsman", operationTimeout: 60).create().utf8)))
        let options = root.descendants("Option").map { "\($0.attributes["Name"]!)=\($0.text)" }
        #expect(options == ["WINRS_NOPROFILE=TRUE", "WINRS_CODEPAGE=65001"])
        #expect(root.first("OperationTimeout")?.text == "PT60S")
    }

    @Test func timedOutFaultIsRecognised() throws {
        let root = try #require(XMLElementNode.parse(Array(WinRMCaptures.timedOutFault.utf8)))
        let fault = try #require(WSManFault.parse(root))
        #expect(fault.isTimedOut)
        #expect(fault.code == "2150858793")
        #expect(fault.subcode == "w:TimedOut")
        #expect(fault.reason.hasPrefix("The WS-Management service cannot complete"))
    }

    @Test func createResponseShellIDFromSelector() throws {
        let xml = #"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Body><x:ResourceCreated><a:Address>http://host:5985/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">67A74734-DD32-4F10-89DE-49A060483810</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated></s:Body></s:Envelope>"#
        let root = try #require(XMLElementNode.parse(Array(xml.utf8)))
        #expect(WSManResponse.shellID(root) == "67A74734-DD32-4F10-89DE-49A060483810")
        #expect(WSManFault.parse(root) == nil)
    }

    @Test func receiveResponsesRunningAndDone() throws {
        let ns = #"xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell""#
        let running = "<s:Envelope \(ns)><s:Body><rsp:ReceiveResponse><rsp:Stream Name=\"stdout\" CommandId=\"1A6D\">VGhhdCdzIGFsbCBmb2xrcyEhIQ==</rsp:Stream><rsp:Stream Name=\"stderr\" CommandId=\"1A6D\">VGhpcyBpcyBzdGRlcnIsIEknbSBwcmV0dHkgc3VyZSE=</rsp:Stream><rsp:CommandState CommandId=\"1A6D\" State=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running\"/></rsp:ReceiveResponse></s:Body></s:Envelope>"
        let r = try WSManReceive.parse(#require(XMLElementNode.parse(Array(running.utf8))))
        #expect(!r.done)
        #expect(r.chunks.map(\.name) == ["stdout", "stderr"])
        #expect(String(decoding: r.chunks[0].bytes, as: UTF8.self) == "That's all folks!!!")
        #expect(String(decoding: r.chunks[1].bytes, as: UTF8.self) == "This is stderr, I'm pretty sure!")
        // A DWORD exit code above Int32.max (0xC0000005) parses.
        let done = "<s:Envelope \(ns)><s:Body><rsp:ReceiveResponse><rsp:Stream CommandId=\"1A6D\" End=\"true\" Name=\"stdout\"/><rsp:Stream CommandId=\"1A6D\" End=\"true\" Name=\"stderr\"/><rsp:CommandState CommandId=\"1A6D\" State=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done\"><rsp:ExitCode>3221225477</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse></s:Body></s:Envelope>"
        let d = try WSManReceive.parse(#require(XMLElementNode.parse(Array(done.utf8))))
        #expect(d.done && d.chunks.isEmpty && d.exitCode == 3221225477)
    }

    @Test func durations() {
        #expect(WSMan.duration(20) == "PT20S")
        #expect(WSMan.duration(1.5) == "PT1.500S")
        #expect(WSMan.seconds(fromDuration: "PT30M") == 1800)
        #expect(WSMan.seconds(fromDuration: "PT7200.000S") == 7200)
        #expect(WSMan.seconds(fromDuration: "P1DT1H") == 90000)
        #expect(WSMan.seconds(fromDuration: "20") == nil)
    }

    @Test func encodedCommandVector() {
        // pywinrm's conftest.py vector.
        #expect(PowerShell.encode("Write-Error \"Error\"") == "VwByAGkAdABlAC0ARQByAHIAbwByACAAIgBFAHIAcgBvAHIAIgA=")
        #expect(PowerShell.decode("VwByAGkAdABlAC0ARQByAHIAbwByACAAIgBFAHIAcgBvAHIAIgA=") == "Write-Error \"Error\"")
        // Real UTF-16LE, not byte interleaving: é and an astral character round-trip.
        #expect(PowerShell.decode(PowerShell.encode("café 🙂")) == "café 🙂")
    }

    @Test func clixmlBecomesPlainText() {
        let raw = "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><Obj S=\"progress\" RefId=\"0\"><TN RefId=\"0\"><T>System.Management.Automation.PSCustomObject</T></TN><MS><PR N=\"Record\"><AV>Preparing modules for first use.</AV></PR></MS></Obj><S S=\"Error\">Write-Error \"Error\" : Error_x000D__x000A_</S><S S=\"Error\">    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorExcep _x000D__x000A_</S><S S=\"Verbose\">hidden</S></Objs>"
        let text = String(decoding: CLIXML.plainText(Array(raw.utf8)), as: UTF8.self)
        #expect(text == "Write-Error \"Error\" : Error\n    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorExcep \n")
        // Surrogate pairs and plain text pass.
        #expect(CLIXML.unescape("a_xD83D__xDE42_b") == "a🙂b")
        #expect(CLIXML.plainText(Array("plain error\n".utf8)) == Array("plain error\n".utf8))
        // Broken CLIXML falls back to the raw bytes.
        let broken = Array("#< CLIXML\r\n<Objs><S S=\"Error\">x</Objs>".utf8)
        #expect(CLIXML.plainText(broken) == broken)
    }

    @Test func winrmcpChunkMath() {
        let upload = WinRMUpload(destination: "C:/Windows/Temp/x.ps1", id: "90af33e3-7c5f-40d0-8593-4e7c8df5cb6f")
        #expect(upload.tempPath.count == 55)
        #expect(upload.chunkSize == 5958)
        let commands = upload.chunkCommands([UInt8](repeating: 65, count: 5958 * 2 + 1))
        #expect(commands.count == 3)
        #expect(commands.allSatisfy { $0.count <= PowerShell.commandLineLimit })
        #expect(commands[0].count == 8010)  // as captured from winrmcp
        #expect(commands[0].hasSuffix(">> \"%TEMP%\\winrmcp-90af33e3-7c5f-40d0-8593-4e7c8df5cb6f.tmp\""))
    }

    @Test func endpointURL() {
        #expect(WinRMEndpoint(host: "10.0.0.5", port: 5985, https: false, user: "a", password: "b").url == "http://10.0.0.5:5985/wsman")
        #expect(WinRMEndpoint(host: "::1", port: 5986, https: true, user: "a", password: "b").url == "https://[::1]:5986/wsman")
    }
}
