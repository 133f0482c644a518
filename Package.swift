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
    // Every number written as text goes through one formatter.
    .target(name: "NumberFormat"),
    .target(name: "Tensor", dependencies: ["CDNNL"], swiftSettings: numeric),
    // Parameter kinds and values, sites, and what a model or a method says about itself: the one schema the spec
    // language validates against and the engine builds from.
    .target(name: "Schema", dependencies: ["NumberFormat"]),
    .target(name: "NN", dependencies: ["Tensor", "Schema"], swiftSettings: numeric),
    .target(name: "Regularizers", dependencies: ["NN", "NumberFormat"], swiftSettings: numeric),
    .target(name: "Datasets", dependencies: ["Tensor", "Schema", "CZlib", "Hashing"], swiftSettings: numeric),
    // The spec language and the claim statistics know nothing of the engine: the Runner hands them a `Catalog` of the
    // engine's own model definitions and method descriptors, seen through `Schema`.
    .target(name: "Experiments", dependencies: ["Schema", "Yams", "NumberFormat"]),
    // Running other programs (git, gnuplot, sbatch, bench workloads): one helper for every module.
    .target(name: "Subprocesses"),
    // SHA-256 for dataset checksums, run cache keys and source hashes.
    .target(name: "Hashing", swiftSettings: numeric),
    .target(
      name: "Runner", dependencies: ["Experiments", "NumberFormat", "Subprocesses", "Hashing", "Tensor", "NN", "Regularizers", "Datasets"],
      swiftSettings: runner),
    // Engine throughput on the reference workloads and the sitting beside the PyTorch peer: no orchestration.
    .target(name: "Benchmarks", dependencies: ["Tensor", "NN", "Regularizers", "Datasets", "NumberFormat"]),
    .target(name: "Report", dependencies: ["Experiments", "Benchmarks", "NumberFormat", "Subprocesses"]),
    .executableTarget(
      name: "dropbench",
      dependencies: [
        "Runner", "Benchmarks", "Report", "NumberFormat", "Subprocesses", "Hashing", "Experiments", "Regularizers", "Tensor",
        "Datasets",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: executable),
    .testTarget(name: "NumberFormatTests", dependencies: ["NumberFormat"]),
    .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "Tensor"]),
    .testTarget(name: "RegularizersTests", dependencies: ["Regularizers", "NN", "Tensor"]),
    .testTarget(name: "HashingTests", dependencies: ["Hashing"]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "CZlib"]),
    .testTarget(name: "ExperimentsTests", dependencies: ["Experiments"]),
    .testTarget(name: "RunnerTests", dependencies: ["Runner", "Experiments", "Datasets", "NN", "Regularizers", "Tensor"]),
    // Sittings and profiles shared by the Benchmarks and Report tests.
    .target(name: "BenchFixtures", dependencies: ["Benchmarks", "Tensor"], path: "Tests/BenchFixtures"),
    .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "BenchFixtures", "Datasets", "Tensor"]),
    .testTarget(name: "ReportTests", dependencies: ["Report", "BenchFixtures", "Experiments", "Subprocesses"]),
    .testTarget(name: "CLITests", dependencies: []),
  ]
)
