// swift-tools-version: 6.0
import PackageDescription

// Numeric targets are compiled with -Ounchecked in release builds: their loops index raw buffers whose bounds
// are established once per call, and the per-element checks cost more than the arithmetic.
let numeric: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
  name: "DropBench",
  platforms: [.macOS(.v14)],
  products: [.executable(name: "dropbench", targets: ["dropbench"])],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
  ],
  targets: [
    .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .target(name: "Tensor", dependencies: ["CDNNL"], swiftSettings: numeric),
    .target(name: "NN", dependencies: ["Tensor"], swiftSettings: numeric),
    .target(name: "Regularizers", dependencies: ["NN"], swiftSettings: numeric),
    .target(name: "Data", dependencies: ["Tensor", "CZlib"], swiftSettings: numeric),
    .target(name: "Experiments", dependencies: ["NN", "Regularizers", "Data", "Yams"]),
    .target(name: "Runner", dependencies: ["Experiments"]),
    .target(name: "Report", dependencies: ["Experiments"]),
    .executableTarget(
      name: "dropbench",
      dependencies: ["Runner", "Report", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
    .testTarget(name: "NNTests", dependencies: ["NN"]),
    .testTarget(name: "RegularizersTests", dependencies: ["Regularizers"]),
    .testTarget(name: "DataTests", dependencies: ["Data"]),
    .testTarget(name: "ExperimentsTests", dependencies: ["Experiments"]),
    .testTarget(name: "RunnerTests", dependencies: ["Runner"]),
    .testTarget(name: "ReportTests", dependencies: ["Report"]),
    .testTarget(name: "CLITests", dependencies: []),
  ]
)
