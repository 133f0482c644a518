import Foundation
import Testing

@testable import Experiments

@Suite struct ConfigValueTests {
  @Test func dottedGetAndSet() {
    var value = ConfigValue.map(["train": .map(["lr": .double(0.05)])])
    #expect(value[path: "train.lr"] == .double(0.05))
    #expect(value[path: "train.epochs"] == nil)
    #expect(value[path: "model.name"] == nil)
    value[path: "train.epochs"] = .int(3)
    value[path: "model.name"] = .string("cnn")
    #expect(value[path: "train.epochs"] == .int(3))
    #expect(value[path: "model"] == .map(["name": .string("cnn")]))
    value[path: "train.lr"] = nil
    #expect(value[path: "train"] == .map(["epochs": .int(3)]))
  }

  @Test func canonicalJSONIsStableUnderKeyOrderAndFormatsNumbers() {
    let a = ConfigValue.map(["b": .int(1), "a": .list([.double(5e-4), .double(0.1), .double(1), .bool(true), .null])])
    var b = ConfigValue.map([:])
    b[path: "a"] = .list([.double(5e-4), .double(0.1), .double(1), .bool(true), .null])
    b[path: "b"] = .int(1)
    #expect(a.canonicalJSON == b.canonicalJSON)
    #expect(a.canonicalJSON == #"{"a":[0.0005,0.1,1.0,true,null],"b":1}"#)
    #expect(ConfigValue.string("a\"b\n").canonicalJSON == #""a\"b\n""#)
  }

  @Test func codableRoundTripThroughJSON() throws {
    let value = ConfigValue.map([
      "x": .list([.int(1), .double(2.5), .string("s"), .bool(false), .null]), "m": .map(["k": .int(-3)]),
    ])
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let data = try encoder.encode(value)
    #expect(String(decoding: data, as: UTF8.self) == #"{"m":{"k":-3},"x":[1,2.5,"s",false,null]}"#)
    #expect(try JSONDecoder().decode(ConfigValue.self, from: data) == value)
  }

  @Test func numbersCompareNumerically() {
    #expect(ConfigValue.int(1) == .double(1.0))
    #expect(ConfigValue.int(1) != .double(1.5))
    #expect(Set([ConfigValue.int(2), .double(2)]).count == 1)
    #expect(ConfigValue.string("1") != .int(1))
  }

  /// A fresh run labels its points from the spec's values, a regenerated report from the stored JSON, which
  /// decodes a whole-number double as an integer: both must read the same.
  @Test func wholeNumberDoublesReadAsAfterAJSONRoundTrip() throws {
    for d in [0.0, 1.0, -3.0, 0.1, 2.5, 1e20, 5e-4] {
      let decoded = try JSONDecoder().decode(ConfigValue.self, from: JSONEncoder().encode(ConfigValue.double(d)))
      #expect(ConfigValue.double(d).description == decoded.description, "\(d)")
    }
    #expect(ConfigValue.double(0).description == "0" && ConfigValue.double(0.1).description == "0.1")
    #expect(ConfigValue.double(.infinity).description == "inf")
  }

  @Test func descriptionsAndAccessors() {
    #expect(ConfigValue.double(0.5).description == "0.5")
    #expect(ConfigValue.string("dropblock").description == "dropblock")
    #expect(ConfigValue.list([.int(1), .int(2)]).description == "[1, 2]")
    #expect(ConfigValue.map(["name": .string("cutout"), "length": .int(8)]).description == "{length: 8, name: cutout}")
    #expect(ConfigValue.int(3).asDouble == 3)
    #expect(ConfigValue.string("x").asDouble == nil)
  }
}
