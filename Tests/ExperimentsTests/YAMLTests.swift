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

  /// Deep nesting is refused before the parser, which recurses per level, can overflow the stack; the line says
  /// where. Quoted text and comments do not count.
  @Test func deepNestingIsRefusedBeforeParsing() throws {
    for text in [
      "x: " + String(repeating: "[", count: 100_000), "x: " + String(repeating: "{a: ", count: 65),
      "a: 1\nx:\n" + String(repeating: "- ", count: 65) + "1",
    ] {
      #expect {
        try ConfigValue.parseYAML(text, file: "deep.yaml")
      } throws: { error in
        let e = error as! SpecError
        return e.file == "deep.yaml" && e.line != nil && e.message.contains("at most 64 levels")
      }
    }
    let fine = try ConfigValue.parseYAML(
      "a: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\" # [[[[\nb: it's [1]")
    #expect(fine[path: "b"] == .string("it's [1]"))
    #expect(try ConfigValue.parseYAML(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) != .null)
  }

  /// A few hundred bytes of anchors and aliases stand for billions of values: conversion stops at a budget.
  @Test func aliasBombIsRefused() throws {
    let bomb = (0..<9).map { i in
      i == 0
        ? "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"
        : "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]"
    }.joined(separator: "\n")
    #expect(bomb.utf8.count < 600)
    #expect {
      try ConfigValue.parseYAML(bomb, file: "bomb.yaml")
    } throws: { error in
      (error as! SpecError).message.contains("more than 100000 values")
    }
    // A small alias is still fine.
    #expect(try ConfigValue.parseYAML("a: &x [1, 2]\nb: *x")[path: "b"] == .list([.int(1), .int(2)]))
  }
}
