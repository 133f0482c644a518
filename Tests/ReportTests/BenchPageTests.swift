import BenchFixtures
import Foundation
import Testing

@testable import Report

@Suite struct BenchPageTests {
  /// The page shows medians with their range, the ratios to the peer and each target met or not.
  @Test func pageShowsMediansRatiosAndTargets() {
    let sitting = BenchFixtures.fourWorkloads
    let md = BenchPage.markdown(sitting)
    #expect(md.contains("| W1: mlp | 2200 (2100–2300) | 1000 (1000–1000) | 2.20 |"))
    #expect(md.contains("| W3 training × PyTorch | ≥ 2.2× | 2.00 | **no** |"))
    #expect(md.contains("test machine") && md.contains("2 rounds"))
    #expect(!md.contains("| W4 | "), "a workload without a peer has no evaluation-ratio row")
    #expect(!md.contains("What stands in the way"), "no profiles, no section")
  }

  /// Each profiled workload gets its table and the step split in words; `dropbench report` rewrites the page
  /// from the stored sitting byte for byte.
  @Test func profileSectionAndRewrite() throws {
    let sitting = BenchFixtures.profiledW3
    let md = BenchPage.markdown(sitting)
    #expect(md.contains("## What stands in the way"))
    #expect(md.contains("### W3: resnet8 — 20.0 ms a step"))
    #expect(md.contains("| 0 Conv2d | 2.00 | 3.00 | 0.100 | 3.00 | 60.0 |"))
    #expect(md.contains("| ↳ 2.branch.1 BatchNorm | 1.00 | 1.00 | – | – | – |"))
    #expect(md.contains("would bring the step to 47.4% of the peak"))
    #expect(md.contains("75% needs the step within 12.0 ms, and everything else alone takes 10.0 ms"))
    // 40 ms / 9 ms at the peak; 40 / (9 + 10) with everything else as it is.
    #expect(md.contains("PyTorch's step took 40.0 ms in this sitting: a step of nothing but matrix products at the peak would be 4.44× PyTorch, and with everything else as it is 2.11×."))
    // `dropbench report` rewrites the page from the stored sitting, byte for byte.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-page-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try !BenchPage.rewrite(reports: dir), "no bench.json, no page")
    try JSONEncoder().encode(sitting).write(to: dir.appendingPathComponent("bench.json"))
    #expect(try BenchPage.rewrite(reports: dir))
    #expect(try String(contentsOf: dir.appendingPathComponent("bench.md"), encoding: .utf8) == md)
  }
}
