import Tensor
import Testing

@testable import NN

@Suite struct UNetTests {
  let key = RandomKey(seed: 81)

  func unet(sites: SiteRecorder = SiteRecorder()) throws -> UNet {
    try UNet(inChannels: 1, widths: [2, 3, 4], key: key.fold(0), sites: sites, height: 8, width: 8)
  }

  @Test func outputIsOneLogitPerPixel() throws {
    let y = try unet().forward(.normal([2, 8, 8, 1], key: key.fold(1)), .evaluation)
    #expect(y.shape == [2, 8, 8, 1])
    #expect(y.allFinite)
  }

  // 40 input coordinates and 2 of each of the 38 parameters. About 1 800 ReLUs and two max-pools, all coupled to
  // every input through batch statistics of as few as 8 values, put a kink within reach of many perturbations:
  // those coordinates are skipped (at most half of them, here about 30 %). The rest agree to 2e-2 relative (floor
  // 1e-2) with h = 2e-3, where Float noise and undetected small kinks account for ~1 %; a wiring error (a swapped
  // skip, a misrouted split) gives errors of order 1.
  @Test func gradients() throws {
    let check = GradientCheck(step: 2e-3, floor: 1e-2, inputSamples: 40, parameterSamples: 2, skipKinks: true)
    let net = try unet()
    #expect(net.parameters.count == 38)
    let r = check.check(net, input: .normal([2, 8, 8, 1], key: key.fold(2)), key: key.fold(3))
    #expect(r.maxError <= 2e-2, "\(r)")
    #expect(r.skipped * 2 <= r.checked + r.skipped, "\(r)")
  }

  @Test func sitesAreInsertedWithTheirShapes() throws {
    let recorder = SiteRecorder()
    _ = try unet(sites: recorder)
    let seen = recorder.sites.sorted { $0.stream < $1.stream }
    #expect(
      seen.map(\.name) == [
        "input", "enc1", "enc2", "bottleneck", "dec2", "dec1", "enc1_mid", "enc2_mid", "bottleneck_mid", "dec2_mid",
        "dec1_mid",
      ])
    // The `_mid` sites were added after the others: every older site kept its stream (and so its masks).
    #expect(seen.map(\.stream) == Array(0..<11))
    #expect(
      seen.map(\.shape) == [
        [8, 8, 1], [8, 8, 2], [4, 4, 3], [2, 2, 4], [4, 4, 3], [8, 8, 2], [8, 8, 2], [4, 4, 3], [2, 2, 4], [4, 4, 3],
        [8, 8, 2],
      ])
  }
}
