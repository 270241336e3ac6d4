extension CommandSpec {
    /// img-import: a local disk file to an ECS image through OSS.
    public static let imgImport = CommandSpec(
        tool: "img-import",
        usage: "img-import [options] --region R --bucket B --image-name N DISKFILE",
        about: """
            usage: img-import [options] --region R --bucket B --image-name N DISKFILE

            Uploads a local disk file to OSS (parallel multipart, constant memory, resumable,
            CRC-64 checked), imports it as an ECS image, waits for it, tags the image and its
            snapshots and deletes the OSS object. Prints one JSON document on stdout.
            Credentials come from the environment (ALICLOUD_ACCESS_KEY, ALICLOUD_SECRET_KEY,
            ALICLOUD_SECURITY_TOKEN) or ~/.aliyun/config.json; never from the command line.
            """,
        options: [
            .value("--region", arg: "R", "region of the image and the bucket (env ALICLOUD_REGION)"),
            .value("--bucket", arg: "B", "OSS bucket in that region"),
            .value("--image-name", arg: "N", "name of the new image"),
            .value("--object", arg: "KEY", "object key (default img-import/<image name>/<file name>)"),
            .value("--format", arg: "F", "qcow2, vhd or raw (default: detected from the header)"),
            .value("--platform", arg: "P", "ImportImage Platform (Ubuntu, CentOS, Others Linux, ...)"),
            .value("--os-type", arg: "T", "linux or windows"),
            .value("--architecture", arg: "A", "x86_64, arm64 or i386"),
            .value("--system-size", arg: "GiB", "system disk size (default: the disk's virtual size)"),
            .value("--boot-mode", arg: "M", "BIOS or UEFI"),
            .value("--description", arg: "TEXT", "image description"),
            .value("--tag", arg: "K=V", "tag the image and its snapshots (repeatable)"),
            .value("--tags-from", arg: "FILE", "also the tags of FILE, a JSON object of strings (values\nmay hold newlines)"),
            .value("--license-type", arg: "T", "ImportImage LicenseType (Auto, Aliyun, BYOL)"),
            .value("--resource-group-id", arg: "ID", "ImportImage ResourceGroupId (rg-...): the image's group"),
            .flag("--keep-object", help: "keep the OSS object after the import"),
            .flag("--create-bucket", help: "create the bucket if it does not exist"),
            .flag("--create-role", help: "create the RAM role ImportImage needs if it is missing"),
            .flag("--force-delete-existing", help: "delete an existing image of the same name first"),
            .value("--part-size", arg: "MiB", "multipart part size (default 64)"),
            .value("--parallel", arg: "N", "parts uploaded at once (default 4)"),
            .value("--timeout", arg: "S", "seconds to wait for the image (default 3600)"),
            .flag("--abort", help: "give up: abort the upload of DISKFILE, delete the object, exit"),
            .value("--state-dir", arg: "DIR", "resume state (default $XDG_STATE_HOME/img-import)"),
            .value("--oss-endpoint", arg: "URL", "OSS endpoint (env ALICLOUD_OSS_ENDPOINT), e.g. http://127.0.0.1:9000"),
            .value("--endpoint", arg: "URL", "ECS/RAM endpoint (env ALICLOUD_ENDPOINT)"),
            .value("--profile", arg: "NAME", "profile in ~/.aliyun/config.json"),
            .value("--query", arg: "PATH", "print only these values of the result"),
            .flag("--debug", help: "trace requests on stderr (never secrets)"),
        ],
        exits: [
            ExitCode(0, "ok"), ExitCode(1, "failed"), ExitCode(64, "usage"),
            ExitCode(65, "bad input (format, size, bucket, name)"), ExitCode(66, "disk file missing or unreadable"),
            ExitCode(69, "unreachable"), ExitCode(73, "resume state cannot be written"), ExitCode(75, "timed out"),
            ExitCode(77, "credentials rejected"), ExitCode(78, "no credentials or RAM role missing"),
            ExitCode([130, 143], "interrupted (run again to resume)"),
        ]
    )
}
