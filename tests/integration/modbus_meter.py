"""modbus_meter.py PORT: a Modbus TCP server (pymodbus) serving an Eastron
SDM630's input registers. Reads lines "I1 I2 I3 V P1 P2 P3" on stdin and
publishes them as the meter's currents (unsigned, as the meter does),
voltage and per-phase powers (signed). Prints "ready" once listening."""
import struct
import sys
import threading

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer

port = int(sys.argv[1])
block = ModbusSequentialDataBlock(0, [0] * 200)
store = ModbusSlaveContext(ir=block, hr=ModbusSequentialDataBlock(0, [0] * 200), zero_mode=True)
context = ModbusServerContext(slaves=store, single=True)


def words(v):
    hi, lo = struct.unpack(">HH", struct.pack(">f", v))
    return [hi, lo]


def feed():
    for line in sys.stdin:
        try:
            i1, i2, i3, v, p1, p2, p3 = map(float, line.split())
        except ValueError:
            continue
        regs = {0x0000: v, 0x0002: v, 0x0004: v, 0x0006: abs(i1), 0x0008: abs(i2), 0x000A: abs(i3),
                0x000C: p1, 0x000E: p2, 0x0010: p3, 0x0034: p1 + p2 + p3}
        for addr, val in regs.items():
            store.setValues(4, addr, words(val))
    import os
    os._exit(0)


threading.Thread(target=feed, daemon=True).start()
print("ready", flush=True)
StartTcpServer(context=context, address=("127.0.0.1", port))
