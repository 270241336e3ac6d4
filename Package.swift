// swift-tools-version:6.0
// The toolkit depends on nothing but the Swift toolchain and system C libraries.
import PackageDescription

// Each file sees only the members of the modules it imports itself, so a file that imports
// FoundationEssentials alone cannot lean on Foundation imported by a neighbour (issue 16).
let strictImports: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]

let tools = ["ecs-call", "tmpl-render", "ssh-run", "winrm-run", "snap-wait", "img-import", "boot-command"]

let package = Package(
    name: "alicloud-image-tools",
    products: tools.map { .executable(name: $0, targets: [$0]) } + [
        .executable(name: "ecs-sim", targets: ["ecs-sim"]),
        .executable(name: "http-serve", targets: ["http-serve"]),
        .library(name: "AlicloudKit", targets: ["AlicloudKit"]),
    ],
    targets: [
        // libcurl, bound through a tiny C shim (curl_easy_setopt is variadic).
        .target(
            name: "CCurl",
            path: "Sources/CCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        .target(name: "AlicloudKit", dependencies: ["CCurl"], path: "Sources/AlicloudKit", swiftSettings: strictImports),
        .target(name: "EcsSimKit", dependencies: ["AlicloudKit"], path: "Sources/EcsSimKit", swiftSettings: strictImports),
        .executableTarget(name: "ecs-sim", dependencies: ["EcsSimKit", "AlicloudKit"], path: "Sources/ecs-sim", swiftSettings: strictImports),
        // The qemu builder's HTTP server for http_directory (its loopback HTTP/1.1 server is ecs-sim's).
        .executableTarget(name: "http-serve", dependencies: ["EcsSimKit", "AlicloudKit"], path: "Sources/http-serve", swiftSettings: strictImports),
        // bench/digest.sh's measuring tool (not installed).
        .executableTarget(name: "digest-bench", dependencies: ["AlicloudKit"], path: "Sources/digest-bench", swiftSettings: strictImports),
        .testTarget(name: "AlicloudKitTests", dependencies: ["AlicloudKit"], path: "Tests/AlicloudKitTests"),
        .testTarget(name: "EcsSimKitTests", dependencies: ["EcsSimKit", "AlicloudKit"], path: "Tests/EcsSimKitTests"),
    ] + tools.map { .executableTarget(name: $0, dependencies: ["AlicloudKit"], path: "Sources/\($0)", swiftSettings: strictImports) },
    swiftLanguageModes: [.v6]
)
