import Testing

@testable import Experiments

@Suite struct EvalConfigTests {
  /// `mask_units` is in the tree only when set, so evaluation configs from before it existed keep their cache keys;
  /// out-of-range values are one error naming the key.
  @Test func maskUnitsKeepsOldTreesAndIsRangeChecked() throws {
    #expect(EvalConfig(width: 0.5).tree[path: "mask_units"] == nil)
    #expect(EvalConfig(maskUnits: 0.5).tree[path: "mask_units"] == .double(0.5))
    #expect(try EvalConfig.decode(EvalConfig(maskUnits: 0.25).tree, path: "eval", file: "") == EvalConfig(maskUnits: 0.25))
    #expect(!EvalConfig(maskUnits: 0.25).isStandard)
    do {
      _ = try EvalConfig.decode(.map(["mask_units": .double(1)]), path: "eval", file: "x.yaml")
      Issue.record("mask_units 1 accepted")
    } catch {
      #expect(error.keyPath == "eval.mask_units" && error.message.contains("[0, 1)"), "\(error)")
    }
  }
}
