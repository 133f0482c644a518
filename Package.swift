// swift-tools-version: 6.0
import PackageDescription

// Numeric targets are compiled with -Ounchecked in release builds: their loops index raw buffers whose bounds
// are established once per call, and the per-element checks cost more than the arithmetic.
//
// On x86-64 they also target AVX2 + FMA (`-target-cpu haswell`, every Intel Xeon since 2013 and every AMD EPYC):
// the engine's SIMD8 loops then run as single 256-bit instructions instead of pairs of SSE ones. Swift never fuses
// a multiply and an add on its own, so result bits are the same as the baseline build's. The dropbench executable
// stays baseline and refuses to start, with a message, on a CPU without AVX2/FMA. DROPBENCH_TARGET_CPU overrides
// (e.g. `x86-64` for the baseline ISA).
#if arch(x86_64)
  let targetCPU = Context.environment["DROPBENCH_TARGET_CPU"] ?? "haswell"
#else
  let targetCPU = Context.environment["DROPBENCH_TARGET_CPU"] ?? ""
#endif
let cpuFlags = targetCPU.isEmpty ? [] : ["-target-cpu", targetCPU]
let numeric: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"] + cpuFlags, .when(configuration: .release))]
let executable: [SwiftSetting] = targetCPU == "haswell" ? [.define("DROPBENCH_NEEDS_AVX2")] : []
// The Runner records the compile target CPU in cache keys and provenance (it can change result bits).
let runner: [SwiftSetting] =
  targetCPU == "haswell" ? [.define("DROPBENCH_TARGET_HASWELL")] : targetCPU.isEmpty ? [] : [.define("DROPBENCH_TARGET_OTHER")]

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
    // Parameter kinds and values, sites, and what a model or a method says about itself: the one schema the spec
    // language validates against and the engine builds from.
    .target(name: "Schema"),
    .target(name: "NN", dependencies: ["Tensor", "Schema"], swiftSettings: numeric),
    .target(name: "Regularizers", dependencies: ["NN"], swiftSettings: numeric),
    .target(name: "Data", dependencies: ["Tensor", "CZlib"], swiftSettings: numeric),
    // The spec language and the claim statistics know nothing of the engine: the Runner hands them a `Catalog` of the
    // engine's own model definitions and method descriptors, seen through `Schema`.
    .target(name: "Experiments", dependencies: ["Schema", "Yams"]),
    // Running other programs (git, gnuplot, bench workloads): one helper for every module.
    .target(name: "Support"),
    .target(
      name: "Runner", dependencies: ["Experiments", "Support", "Tensor", "NN", "Regularizers", "Data"],
      swiftSettings: runner),
    .target(name: "Report", dependencies: ["Experiments", "Support"]),
    .executableTarget(
      name: "dropbench",
      dependencies: [
        "Runner", "Report", "Support", "Experiments", "Tensor", "Data",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: executable),
    .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "Tensor"]),
    .testTarget(name: "RegularizersTests", dependencies: ["Regularizers", "NN", "Tensor"]),
    .testTarget(name: "DataTests", dependencies: ["Data", "CZlib"]),
    .testTarget(name: "ExperimentsTests", dependencies: ["Experiments"]),
    .testTarget(name: "RunnerTests", dependencies: ["Runner", "Experiments", "Data", "NN", "Regularizers", "Tensor"]),
    .testTarget(name: "ReportTests", dependencies: ["Report", "Experiments", "Support"]),
    .testTarget(name: "CLITests", dependencies: []),
  ]
)
