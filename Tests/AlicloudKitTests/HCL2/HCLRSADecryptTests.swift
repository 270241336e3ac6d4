import Testing
@testable import AlicloudKit

/// rsadecrypt against a throwaway 2048-bit key made with `openssl genrsa -traditional`, and a
/// ciphertext made with `openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:pkcs1`.
@Suite struct HCLRSADecryptTests {
    static let key = """
-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAuAAPsiMsjMB9Ten+XMcYzNSJwB7wIRvsQ6KUPJZkmr1VbCGL
nDxMksSFiuUyHjIwjK7OjHA6Kg9SMR6Nu9XYr065Ml5nL6YaGu5S6/nFzUZSLWbv
lryy3j+3SjBC7go3y/933xmgWQ3zSc7KQpBHq6kVma7Rk0vJYnGqEp3a8y5x5FnV
0PCKlqIz7l8pzNgDDIpjZXVL4BNbP2WbnSlyJ/w7Ubf7eWYlvjUL2l7ZheNSbn46
09SMcBlCyTWtO4RM2gzvsNhMbfPaZdkyrw7t4yI4DFdZmMudWCiKmSrtG0HzfeHS
Ga0sihL4Q5zV1zNvG8EYO5HPol7Pa6/4kamNsQIDAQABAoIBAAfpxMMJ/Tf+bUUl
C5Hs5BWnDFeNXRFndIVCIDLs2t3Gx74zQSBSfY6QUhfznHCtAuaB/BMRHodBimzf
XgQWgc+kSJWwdqqXb6b52eoZH1chL5aRRzuJ2P1y6wyPP8mh+d1Vms+m9/zseyqQ
8KTlNJfe2TV3Tb8SctI/hitvy4NKyN05L2CDlx5yJ736kQoWYH97PfnQsFwqNM1B
cwsVLBPO7xohUZXK7dA9aZqIanPxbFnq+kO7qjxvOFyAI5QWsgxSssI/TwYVnhfg
qiwN6HON3bM6wBpy3hpVQUlCgdWVTUc7LG6GMKXnXWT4OGAm2Xt+QUEoYy3viMmG
M6IhWAECgYEA5BqPsjZfBx+Hxb7KXxGtu+Wa8lHMp5xwA7q6SYVcuJpWAgQ+2GRw
Mzvgg6FYysz6A6mtpm61J9sp9zI/07R4mzNSZTjH5Xaa9JaMJbDnoFKdhDsfWgJq
SXuyJabA35if+aMSyXSEfvx7mhz9mnGHU6pS2Q0wm5ymAC/PrbdtjQECgYEAzoC2
sVLRIHV9JNRoJeithG3CfEn1jrSrBRhJvmcqCVkPAKpOnBnF+vDZEKbsoHgpc4X6
Hfsh2RsMA/8vnAQXcZ2T+g6D6VCSyOGf+P2Z7Y/xz0jA5F3AVFevJrpkUnDdBu5X
WjyPEkX4zLRCMTxqbREV5MT129gPqquM/QcbELECgYAPVdHPU2R0ICSKoNcOKSwa
88bE/8bYheXp+kXH55ViO84IeKyY87evWhkwAErt53XvhRrNk6fONCfQHKq52uo4
1Ox3LagSvzSPuQdXCVupJaS9XRQwgvUOV6iUa2+QGLy4lcQPkyvNNcBBji1mkrdc
YpkLSp23+IIYhR5bOXe+AQKBgQCk/6l6RC7+3YGRxPo2mBTVBJJqlvnS/b7Mglyh
+3JWJ8faAzpudhV/7aOzL31QttKAEOQJwpiIDZlrNCJJaeeFi6AqJCD4cr3mLomQ
/KlabTKMKpidn99GRQ2ZR0NTsASbPiOj4VF8C1bB0aI2Dw0GeqlgspO0Bo52Ez7D
CkNw8QKBgEygACf1z40eNCi4cgUIe0+tsmMTx7oFJfREJ6fTp1RFsEkQKfpBbIch
+xTYnYbnwgUATQ00yb4Ee4Bcls9RbXlQbHqbkDev2Rb1Z2OK9u79C0lEsEkLha2o
E1Q7PYmvzkbWVYB1ZfE5Yb83esGmh8XXCEG1XffZTmdbkCwFUoVu
-----END RSA PRIVATE KEY-----
"""
    static let pkcs8Key = """
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC4AA+yIyyMwH1N
6f5cxxjM1InAHvAhG+xDopQ8lmSavVVsIYucPEySxIWK5TIeMjCMrs6McDoqD1Ix
Ho271divTrkyXmcvphoa7lLr+cXNRlItZu+WvLLeP7dKMELuCjfL/3ffGaBZDfNJ
zspCkEerqRWZrtGTS8licaoSndrzLnHkWdXQ8IqWojPuXynM2AMMimNldUvgE1s/
ZZudKXIn/DtRt/t5ZiW+NQvaXtmF41JufjrT1IxwGULJNa07hEzaDO+w2Ext89pl
2TKvDu3jIjgMV1mYy51YKIqZKu0bQfN94dIZrSyKEvhDnNXXM28bwRg7kc+iXs9r
r/iRqY2xAgMBAAECggEAB+nEwwn9N/5tRSULkezkFacMV41dEWd0hUIgMuza3cbH
vjNBIFJ9jpBSF/OccK0C5oH8ExEeh0GKbN9eBBaBz6RIlbB2qpdvpvnZ6hkfVyEv
lpFHO4nY/XLrDI8/yaH53VWaz6b3/Ox7KpDwpOU0l97ZNXdNvxJy0j+GK2/Lg0rI
3TkvYIOXHnInvfqRChZgf3s9+dCwXCo0zUFzCxUsE87vGiFRlcrt0D1pmohqc/Fs
Wer6Q7uqPG84XIAjlBayDFKywj9PBhWeF+CqLA3oc43dszrAGnLeGlVBSUKB1ZVN
RzssboYwpeddZPg4YCbZe35BQShjLe+IyYYzoiFYAQKBgQDkGo+yNl8HH4fFvspf
Ea275ZryUcynnHADurpJhVy4mlYCBD7YZHAzO+CDoVjKzPoDqa2mbrUn2yn3Mj/T
tHibM1JlOMfldpr0lowlsOegUp2EOx9aAmpJe7IlpsDfmJ/5oxLJdIR+/HuaHP2a
cYdTqlLZDTCbnKYAL8+tt22NAQKBgQDOgLaxUtEgdX0k1Ggl6K2EbcJ8SfWOtKsF
GEm+ZyoJWQ8Aqk6cGcX68NkQpuygeClzhfod+yHZGwwD/y+cBBdxnZP6DoPpUJLI
4Z/4/Zntj/HPSMDkXcBUV68mumRScN0G7ldaPI8SRfjMtEIxPGptERXkxPXb2A+q
q4z9BxsQsQKBgA9V0c9TZHQgJIqg1w4pLBrzxsT/xtiF5en6RcfnlWI7zgh4rJjz
t69aGTAASu3nde+FGs2Tp840J9Acqrna6jjU7HctqBK/NI+5B1cJW6klpL1dFDCC
9Q5XqJRrb5AYvLiVxA+TK801wEGOLWaSt1ximQtKnbf4ghiFHls5d74BAoGBAKT/
qXpELv7dgZHE+jaYFNUEkmqW+dL9vsyCXKH7clYnx9oDOm52FX/to7MvfVC20oAQ
5AnCmIgNmWs0Iklp54WLoCokIPhyveYuiZD8qVptMowqmJ2f30ZFDZlHQ1OwBJs+
I6PhUXwLVsHRojYPDQZ6qWCyk7QGjnYTPsMKQ3DxAoGATKAAJ/XPjR40KLhyBQh7
T62yYxPHugUl9EQnp9OnVEWwSRAp+kFshyH7FNidhufCBQBNDTTJvgR7gFyWz1Ft
eVBsepuQN6/ZFvVnY4r27v0LSUSwSQuFragTVDs9ia/ORtZVgHVl8Tlhvzd6waaH
xdcIQbVd99lOZ1uQLAVShW4=
-----END PRIVATE KEY-----
"""
    static let ciphertext = "bO4Qad2w+DcrABy6JIdpbXGGAHmQSpe4/hJIvfO1Uf9oXYDcCQ7YC7XEXO+YYeurOra4SYG2XVn79rEIfRTlB1wxw66k0GA+YlPvre1jWIXPMrib7e2ewIs/du2SOkgfSvPwnb2fFn14zXpJzHI22VKu2PtZ8oYA+M3vsAmYansS+GJbqV+kXwk6QpnxS+jB3EMRHfbQZW6vUcSlovEeLSupFafu0v5CCMBid63XGJbzTkKW+HR2WiKd5JbQ1qPvzhiyrFv/SNsUMjKC0Es4ZV2K/41onyeqmPGrf3Pg4xbia8q2yI0uysAhVcbmddKwFnMgc/RMSt7MjzqqKIo27w=="

    @Test func decryptsWhatOpenSSLEncrypted() throws {
        #expect(try HCLFunctions.call("rsadecrypt", [.str(Self.ciphertext), .str(Self.key)], functionContext()) == .str("Sup3r-s3cret P@ss"))
    }

    static let failures: [FunctionFailure] = [
        .init("rsadecrypt", [.str("%%"), .str(key)], "failed to decode input \"%%\": cipher text must be base64-encoded"),
        .init("rsadecrypt", [.str(ciphertext), .str("not a key")], "failed to parse key: no key found"),
        .init("rsadecrypt", [.str(ciphertext), .str(pkcs8Key)], "x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)"),
        .init("rsadecrypt", [.str("AAAA"), .str(key)], "crypto/rsa: decryption error"),
        .init("rsadecrypt", [.str(ciphertext), .str("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----")],
              "failed to parse key: password protected keys are not supported. Please decrypt the key prior to use"),
    ]

    @Test(arguments: failures) func failingCalls(_ f: FunctionFailure) { check(f) }
}
