extension CommandSpec {
    /// boot-command: type a Packer boot_command into QEMU through QMP.
    public static let bootCommand = CommandSpec(
        tool: "boot-command",
        usage: "boot-command [--check] [--qmp SOCKET] [--http-ip IP] [--http-port PORT] [--name NAME] [--key-interval D] [--group-interval D] FILE|-",
        about: """
            usage: boot-command [--check] [--qmp SOCKET] [options] FILE|-

            Reads a Packer boot_command (a JSON array of strings) from FILE (- for stdin), fills in
            {{ .HTTPIP }}, {{ .HTTPPort }} and {{ .Name }}, and types it into a QEMU virtual
            machine through its QMP socket: Packer's key syntax (<enter>, <tab>, <f1>, <esc>,
            <leftCtrlOn>/<leftCtrlOff>, <wait>, <wait5>, <wait1m30s> ...). The whole command
            is checked before the first key is typed.
            """,
        options: [
            .flag("--check", help: "check the command only; type nothing"),
            .value("--qmp", arg: "SOCKET", "QEMU's QMP socket (-qmp unix:SOCKET,server,nowait)"),
            .value("--http-ip", arg: "IP", "{{ .HTTPIP }} (default 10.0.2.2, the host in user networking)"),
            .value("--http-port", arg: "PORT", "{{ .HTTPPort }}"),
            .value("--name", arg: "NAME", "{{ .Name }} (the vm_name)"),
            .value("--key-interval", arg: "D", "pause after each key (default 100ms)"),
            .value("--group-interval", arg: "D", "pause after each entry of the array (default 0s)"),
        ],
        exits: [
            ExitCode(0, "typed"), ExitCode(1, "QEMU refused a key"), ExitCode(64, "usage"),
            ExitCode(65, "bad boot_command"), ExitCode(66, "no FILE"), ExitCode(69, "QEMU unreachable"),
            ExitCode(73, "no socket could be made"), ExitCode([130, 143], "interrupted"),
        ]
    )
}
