import Testing

@testable import Experiments

@Suite struct YAMLTests {
  @Test func scalarsResolve() throws {
    let value = try ConfigValue.parseYAML(
      """
      wd: 5e-4
      lr: 0.05
      big: 1e3
      n: 15
      neg: -2
      flag: true
      off: no
      nothing: null
      tilde: ~
      quoted: "5"
      word: dropblock
      inf: .inf
      words: [nan, infinity]
      """)
    #expect(value[path: "wd"] == .double(0.0005))
    if case .double = value[path: "wd"] {} else { Issue.record("5e-4 should be a double") }
    #expect(value[path: "lr"] == .double(0.05))
    #expect(value[path: "big"] == .double(1000))
    if case .int(15) = value[path: "n"] {} else { Issue.record("15 should be an int") }
    #expect(value[path: "neg"] == .int(-2))
    #expect(value[path: "flag"] == .bool(true))
    #expect(value[path: "off"] == .bool(false))
    #expect(value[path: "nothing"] == .null)
    #expect(value[path: "tilde"] == .null)
    #expect(value[path: "quoted"] == .string("5"))
    #expect(value[path: "word"] == .string("dropblock"))
    #expect(value[path: "inf"] == .double(.infinity))
    #expect(value[path: "words"] == .list([.string("nan"), .string("infinity")]))
  }

  @Test func flowCollections() throws {
    let value = try ConfigValue.parseYAML("{a: [1, 2.5], b: {c: x}}")
    #expect(value == .map(["a": .list([.int(1), .double(2.5)]), "b": .map(["c": .string("x")])]))
  }

  @Test func duplicateKeyIsAnErrorWithLine() {
    #expect {
      try ConfigValue.parseYAML("a: 1\nb: 2\na: 3\n", file: "x.yaml")
    } throws: { error in
      let e = error as! SpecError
      return e.keyPath == "a" && e.line == 3 && e.message.contains("duplicate")
    }
  }

  @Test func syntaxErrorHasLine() {
    #expect {
      try ConfigValue.parseYAML("a: [1, 2\nb: 3\n", file: "x.yaml")
    } throws: { error in
      let e = error as! SpecError
      return e.line != nil && e.description.hasPrefix("x.yaml:") && e.message.hasPrefix("invalid YAML")
    }
  }
}
