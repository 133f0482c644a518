import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct RegistryTests {
  /// The registry against itself: every name once, in the spec's kebab-case, each found by its own name.
  @Test func namesAreUniqueAndTagged() {
    let names = RegularizerRegistry.names
    #expect(Set(names).count == names.count)
    #expect(names.first == "none")
    for name in names {
      #expect(name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(name)")
      #expect(RegularizerRegistry.descriptor(name)?.name == name)
    }
    #expect(RegularizerRegistry.descriptor("cutout")?.taxonomy == .data)
    #expect(RegularizerRegistry.descriptor("cutout")?.plugPoint == .input)
    #expect(RegularizerRegistry.descriptor("cutout")?.defaultSites == ["input"])
    #expect(RegularizerRegistry.descriptor("dropblock")?.plugPoint == .featureMap)
    for name in ["dropout", "spatial-dropout", "dropblock", "heuristic-dropout"] {
      #expect(RegularizerRegistry.descriptor(name)?.taxonomy == .architecture)
    }
    for descriptor in RegularizerRegistry.all {
      #expect(!descriptor.summary.isEmpty && !descriptor.citation.isEmpty)
      for parameter in descriptor.parameters {
        #expect(parameter.defaultValue != nil, "\(descriptor.name).\(parameter.name)")
      }
      #expect((try? descriptor.parameters.resolve([:], owner: descriptor.name)) != nil, "\(descriptor.name)")
    }
  }

  /// An activation site named `input` (so Cutout may go there) of per-sample `shape`.
  static func site(_ shape: [Int], name: String = "input") -> Site { Site(name: name, shape: shape, stream: 0) }

  @Test func defaultsAreValidAtAFeatureMapSite() {
    for descriptor in RegularizerRegistry.all where descriptor.plugPoint.siteKind == .activation {
      let vectorOnly = descriptor.plugPoint == .vector
      #expect((descriptor.validate([:], Self.site([28, 28, 16])) == nil) != vectorOnly, "\(descriptor.name)")
      if vectorOnly { #expect(descriptor.validate([:], Self.site([64], name: "hidden1")) == nil, "\(descriptor.name)") }
    }
  }

  /// Placement is checked in one place, from the descriptor's plug point: a Cutout at a hidden site, a feature-map
  /// method at a vector site, an activation method at a weight site are each one sentence naming the method.
  @Test func placementIsCheckedAgainstThePlugPoint() throws {
    let cutout = try #require(RegularizerRegistry.descriptor("cutout"))
    let hidden = try #require(cutout.validate([:], Self.site([14, 14, 32], name: "conv1")))
    #expect(hidden.hasPrefix("cutout") && hidden.contains("input images only"))
    let dropblock = try #require(RegularizerRegistry.descriptor("dropblock"))
    #expect(dropblock.validate([:], Self.site([128], name: "fc1"))?.contains("[H, W, C]") == true)
    let dropout = try #require(RegularizerRegistry.descriptor("dropout"))
    let weights = Site(name: "hidden1", kind: .weights, shape: [16, 784], stream: 0)
    #expect(dropout.validate([:], weights)?.contains("activation sites") == true)
  }

  @Test(arguments: [
    ("dropout", ["rate": ConfigValue.double(1)], [128], "rate"),
    ("dropout", ["rate": .double(-0.1)], [128], "rate"),
    ("dropout", ["rate": .string("half")], [128], "rate"),
    ("dropout", ["p": .double(0.5)], [128], "'p'"),
    ("spatial-dropout", ["rate": .double(1.5)], [7, 7, 8], "rate"),
    ("dropblock", ["rate": .double(1)], [14, 14, 32], "rate"),
    ("dropblock", ["rate": .double(-0.5)], [14, 14, 32], "rate"),
    ("dropblock", ["block_size": .int(9)], [14, 8, 32], "block_size"),
    ("dropblock", ["block_size": .int(0)], [14, 14, 32], "block_size"),
    ("dropblock", ["schedule": .string("cosine")], [14, 14, 32], "schedule"),
    ("dropblock", [:], [128], "[H, W, C]"),
    ("cutout", ["length": .int(-1)], [28, 28, 1], "length"),
    ("cutout", ["length": .int(29)], [28, 28, 1], "length"),
    ("cutout", [:], [784], "[H, W, C]"),
    ("heuristic-dropout", ["fraction": .double(0)], [14, 14, 16], "fraction"),
    ("heuristic-dropout", ["k": .double(-1)], [14, 14, 16], "k"),
    ("heuristic-dropout", ["selection": .string("softmax")], [14, 14, 16], "selection"),
    ("none", ["rate": .double(0.1)], [128], "no parameters"),
  ])
  func validationRejectsWithASentence(name: String, params: [String: ConfigValue], site: [Int], mentions: String)
    throws
  {
    let descriptor = try #require(RegularizerRegistry.descriptor(name))
    let message = try #require(descriptor.validate(params, Self.site(site)))
    #expect(message.contains(mentions), "\(message)")
    #expect(message.hasPrefix(name))
  }

  @Test func integralValuesAreAcceptedForEitherNumericKind() {
    #expect(ConfigValue.int(3).asDouble == 3)
    #expect(ConfigValue.double(8).asInt == 8)
    #expect(ConfigValue.double(8.5).asInt == nil)
    let dropblock = RegularizerRegistry.descriptor("dropblock")!
    #expect(dropblock.validate(["rate": .int(0), "block_size": .double(5)], Self.site([14, 14, 8])) == nil)
    #expect(dropblock.validate(["block_size": .double(5.5)], Self.site([14, 14, 8])) != nil)
    let filled = try? dropblock.resolve(["block_size": .double(5)]).get()
    #expect(filled?["block_size"] == .int(5))
    #expect(filled?["shared_mask"] == .bool(false))
    #expect(filled?["schedule"] == .string("fixed"))
  }

  @Test func madeLayersUseTheSiteStreamAndParameters() {
    let site = Site(name: "stage2", shape: [10, 10, 6], stream: 3)
    let x = normalTensor([4, 10, 10, 6], seed: 1)
    let context = training(step: 2)
    let cases: [(String, [String: ConfigValue], Layer)] = [
      ("dropout", ["rate": .double(0.3)], Dropout(rate: 0.3, stream: 3)),
      ("spatial-dropout", ["rate": .double(0.3)], SpatialDropout(rate: 0.3, stream: 3)),
      (
        "dropblock", ["block_size": .int(3), "shared_mask": .bool(true)],
        DropBlock(rate: 0.1, blockSize: 3, sharedMask: true, stream: 3)
      ),
      ("cutout", ["length": .int(4)], Cutout(length: 4, stream: 3)),
      (
        "heuristic-dropout", ["fraction": .double(0.5), "selection": .string("probabilistic")],
        HeuristicDropout(fraction: 0.5, selection: .probabilistic, stream: 3)
      ),
    ]
    for (name, params, expected) in cases {
      guard case .layer(let made) = RegularizerRegistry.descriptor(name)!.make(params, site) else {
        Issue.record("\(name) did not make a layer")
        continue
      }
      let y = made.forward(x, context)
      #expect(y == expected.forward(x, context), "\(name)")
      #expect(y != x, "\(name)")
      #expect(made.forward(x, .evaluation) == x, "\(name)")
    }
    guard case .layer(let none) = RegularizerRegistry.none.make([:], site) else {
      Issue.record("none did not make a layer")
      return
    }
    #expect(none.forward(x, context) == x)
    #expect(none.backward(x) == x)
  }
}
