import Testing
@testable import EcsSimKit
