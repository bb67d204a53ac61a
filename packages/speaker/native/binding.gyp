# herald_net: the speaker's only native code. Linux only (AF_PACKET, raw ICMPv6), Node-API 8, no C++
# exceptions, no library beyond libc and the OpenSSL the Node binary exports (SHA-256 for the election's
# ranking; headers from nodedir); -O2 (the work is syscalls and OpenSSL's own assembly; smaller than -O3).
# Build (no internet, local headers): npm_config_nodedir=/usr npm run build:native -w @herald/speaker
{
  "targets": [
    {
      "target_name": "herald_net",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/packet_socket.cc",
        "src/icmp6_socket.cc",
        "src/netlink_events.cc",
        "src/sha256_prefixes.cc",
        "src/thread_scheduling.cc",
        "src/free_pages.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fvisibility=hidden", "-O2", "-Wall", "-Wextra"]
    }
  ]
}
