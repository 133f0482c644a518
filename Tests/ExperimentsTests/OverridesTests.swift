import Testing

@testable import Experiments

@Suite struct OverridesTests {
  let spec = try! ExperimentSpec.parse(yaml: cutoutSpecYAML())

  private func apply(_ texts: String...) throws -> ExperimentSpec {
    try spec.applying(texts.map { try Override.parse($0) })
  }

  private func error(_ body: () throws -> Any) -> SpecError? {
    do {
      _ = try body()
      return nil
    } catch {
      return error as? SpecError
    }
  }

  @Test func parsesScalarsAndFlowValues() throws {
    #expect(try Override.parse("train.epochs=3") == Override(key: "train.epochs", value: .int(3)))
    #expect(try Override.parse("train.lr=5e-4").value == .double(0.0005))
    #expect(try Override.parse("seeds=[1,2]").value == .list([.int(1), .int(2)]))
    #expect(try Override.parse("regularizer={name: none}").value == .map(["name": .string("none")]))
    #expect(
      try Override.parse("+train.nesterov=true") == Override(key: "train.nesterov", value: .bool(true), adds: true))
    #expect(try Override.parse("title=a: b").value == .string("a: b"))
  }

  @Test func unquotedCommaSuggestsAList() {
    let e = error { try Override.parse("regularizer.rate=0.1,0.2") }
    #expect(e?.keyPath == "regularizer.rate")
    #expect(e?.suggestion?.contains("regularizer.rate=[0.1,0.2]") == true)
    #expect(e?.file == "--set")
  }

  @Test func missingEqualsIsAnError() {
    #expect(error { try Override.parse("train.epochs") }?.message == "expected key=value")
  }

  @Test func typeChecksAgainstTheExistingValue() throws {
    #expect(try apply("train.lr=1")[path: "train.lr"] == .double(1))
    if case .double = try apply("train.lr=1").base[path: "train.lr"] {
    } else {
      Issue.record("int should widen to double")
    }
    let e = error { try apply("train.lr=fast") }
    #expect(e?.description == "--set: train.lr: expected a number, got a string 'fast' (the spec has 0.05)")
    #expect(error { try apply("train.epochs=1.5") }?.message == "expected an integer, got a number '1.5'")
    #expect(error { try apply("model.name=3") }?.message == "expected a string, got an integer '3'")
  }

  @Test func newKeysNeedPlus() throws {
    let e = error { try apply("train.nesterov=true") }
    #expect(e?.suggestion == "use +train.nesterov=true to add it")
    #expect(try apply("+train.nesterov=true").base[path: "train.nesterov"] == .bool(true))
  }

  @Test func seedsAndSweepOverrides() throws {
    #expect(try apply("seeds=[0,1]").seeds == [0, 1])
    #expect(error { try apply("seeds=3") }?.message == "expected a list of integers, got an integer '3'")
    #expect(try apply("sweep.regularizer.length=[2, 4]").sweep.values(of: "regularizer.length") == [.int(2), .int(4)])
    #expect(error { try apply("sweep.train.lr=[0.1]") }?.message == "'train.lr' is not a sweep key of this spec")
    #expect(try apply("+sweep.train.lr=[0.1, 0.2]").sweep.keys == ["regularizer.length", "train.lr"])
  }

  @Test func unknownSectionIsAnError() {
    #expect(error { try apply("title=x") }?.message == "cannot override 'title'")
  }
}

extension ExperimentSpec {
  fileprivate subscript(path path: String) -> ConfigValue? { base[path: path] }
}

@Suite struct OverrideAttributionTests {
  let spec = try! ExperimentSpec.parse(yaml: cutoutSpecYAML())

  /// A value for a key the sweep sets would be overwritten at every point: refused with one line naming the fix.
  @Test func anOverrideTheSweepWouldShadowIsRefused() throws {
    for text in ["regularizer.length=4", "base.regularizer.length=4", "regularizer={name: cutout, length: 4}"] {
      do {
        _ = try spec.applying([try Override.parse(text)])
        Issue.record("\(text) was accepted")
      } catch {
        #expect(error.file == "--set")
        #expect(error.message.contains("set by this spec's sweep"), "\(error)")
        #expect(error.suggestion == "set the sweep instead: --set sweep.regularizer.length=[…]")
      }
    }
    // Other keys, and the sweep itself, are fine; a scale may still set a swept key.
    _ = try spec.applying([try Override.parse("train.epochs=2"), try Override.parse("sweep.regularizer.length=[0, 8]")])
  }

  /// An invalid value given on the command line is the command line's error, not the spec file's line.
  @Test func anInvalidOverriddenValueIsAttributedToTheCommandLine() throws {
    do {
      _ = try spec.plan(scale: "default", overrides: [try Override.parse("train.lr=-1")], catalog: .fixture)
      Issue.record("a negative learning rate was accepted")
    } catch {
      #expect(error.file == "--set" && error.keyPath == "train.lr" && error.line == nil, "\(error)")
    }
    let plan = try spec.plan(scale: "default", overrides: [try Override.parse("train.epochs=2")], catalog: .fixture)
    #expect(plan.overrides == ["train.epochs=2"])
  }
}
