/** UDP payloads of the IPv4 and IPv6 packets in a classic pcap file with Ethernet link type. */
export function udpPayloads(pcap: Uint8Array): Uint8Array[] {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const magic = view.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && view.getUint32(0, false) !== 0xa1b2c3d4 && view.getUint32(0, false) !== 0xa1b23c4d) throw new Error('not a pcap file');
  if (view.getUint32(20, little) !== 1) throw new Error(`pcap link type ${view.getUint32(20, little)} is not Ethernet`);
  const out: Uint8Array[] = [];
  for (let o = 24; o + 16 <= pcap.length; ) {
    const captured = view.getUint32(o + 8, little);
    const frame = pcap.subarray(o + 16, o + 16 + captured);
    o += 16 + captured;
    const etherType = (frame[12]! << 8) | frame[13]!;
    let udp: number;
    if (etherType === 0x0800 && frame[23] === 17) udp = 14 + (frame[14]! & 0x0f) * 4;
    else if (etherType === 0x86dd && frame[20] === 17) udp = 14 + 40;
    else continue;
    const length = (frame[udp + 4]! << 8) | frame[udp + 5]!;
    out.push(Uint8Array.from(frame.subarray(udp + 8, udp + length)));
  }
  return out;
}
