// swift-tools-version: 6.0
// A program written against gobench's Runtime library, as another package would: it
// depends on the root package by path (a path or branch dependency may use the runtime's
// unsafe build flags; a version requirement may not: see the README, "Using the
// Runtime library").
import PackageDescription

let package = Package(
    name: "hello-goroutines",
    dependencies: [.package(name: "gobench", path: "../..")],
    targets: [
        .executableTarget(
            name: "hello-goroutines",
            dependencies: [.product(name: "Runtime", package: "gobench")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
