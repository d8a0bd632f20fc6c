// The emulated RP2040 of `mpk sim --engine rp2040`: an unmodified MicroPython UF2 image
// running in rp2040js, with the RP2040 B1 boot ROM. Its host is host_tools/sim/rp2040/
// board.py, which starts this process and talks to it over stdin/stdout in frames
// (see "Frames" below). The host owns the serial port, the flash image's lock and the
// simulated I2C devices; this process owns the chip: CPU, USB CDC, flash writes,
// GPIO wiring, UART/SPI loopback, ADC inputs, watchdog and resets.
//
// What rp2040js needs to run this firmware well (measured; see the README's
// "Emulated Pico" section):
// - boot at boot2 (0x10000000) with the ROM mapped: the ROM's own flash boot is not modelled;
// - flash writes: the ROM's flash_range_erase / flash_range_program / flash_flush_cache are
//   replaced by BKPT traps that do NOR erase/program on the flash array and the image file;
// - USB CDC: an OUT read is held (NAK) until the host has bytes, instead of answered with
//   an empty packet, which would keep the CPU in the USB interrupt forever;
// - UART: the TX interrupt is raised only when a byte was written (rp2040js raises it on
//   every check, an interrupt storm once MicroPython enables it);
// - GPIO: a pin reads what its net carries (its own output, a wired peer, a button, a pull);
// - time: while the core sleeps (WFI/WFE), emulated time advances no faster than the wall clock;
// - a reboot (watchdog, machine.reset(), RUN) is a new chip with the flash and the watchdog's
//   scratch and reason registers kept, and the reset cause in VREG_AND_CHIP_RESET.
import fs from 'fs';
import net from 'net';
import { RP2040, USBCDC, ConsoleLogger, LogLevel, BasePeripheral } from 'rp2040js';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

// --- Frames: [type u8][length u32 LE][payload] both ways -------------------------------
// host -> chip: S serial bytes to the board, C control (JSON), I i2c read reply (1 byte),
//               W world reply (JSON)
// chip -> host: S serial bytes from the board, E event (JSON), i i2c transaction (binary),
//               W world request (JSON from the board's simworld module)
const out = process.stdout;
function frame(type, payload) {
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32LE(payload.length, 1);
  out.write(Buffer.concat([head, payload]));
}
const event = (obj) => frame('E', Buffer.from(JSON.stringify(obj)));

// --- Flash --------------------------------------------------------------------------------
const FLASH_SIZE = cfg.flash_size;
const flashFd = fs.openSync(cfg.flash, 'r+');
const flashImage = Buffer.alloc(FLASH_SIZE);
fs.readSync(flashFd, flashImage, 0, FLASH_SIZE, 0);
// Datasheet timings of the Pico's W25Q16JV (typical): the CPU waits them out.
const ERASE_4K_NS = 45e6;
const PROGRAM_PAGE_NS = 0.4e6;

function flashErase(offset, count) {
  if (offset + count > FLASH_SIZE) count = Math.max(0, FLASH_SIZE - offset);
  flashImage.fill(0xff, offset, offset + count);
  chip.flash.fill(0xff, offset, offset + count);
  fs.writeSync(flashFd, flashImage, offset, count, offset);
  return ERASE_4K_NS * Math.ceil(count / 4096);
}

function flashProgram(offset, ramAddr, count) {
  if (offset + count > FLASH_SIZE) count = Math.max(0, FLASH_SIZE - offset);
  for (let i = 0; i < count; i++) {
    const v = flashImage[offset + i] & chip.readUint8(ramAddr + i); // NOR: bits only clear
    flashImage[offset + i] = v;
    chip.flash[offset + i] = v;
  }
  fs.writeSync(flashFd, flashImage, offset, count, offset);
  return PROGRAM_PAGE_NS * Math.ceil(count / 256);
}

// --- The boot ROM, with the flash-write entry points trapped ---------------------------------
const romBytes = fs.readFileSync(cfg.bootrom);
const TRAPS = { RE: 1, RP: 2, FC: 3 };   // ROM table codes -> BKPT numbers
const rom = new Uint32Array(4096);
rom.set(new Uint32Array(romBytes.buffer.slice(romBytes.byteOffset, romBytes.byteOffset + 16384)));
(function patchRom() {
  const u16 = new Uint16Array(rom.buffer);
  let p = u16[0x14 / 2] / 2;                 // the ROM function table: (code, address) pairs
  const found = {};
  for (; u16[p]; p += 2) {
    const code = String.fromCharCode(u16[p] & 0xff, u16[p] >> 8);
    if (TRAPS[code]) {
      u16[(u16[p + 1] & ~1) / 2] = 0xbe00 | TRAPS[code];
      found[code] = true;
    }
  }
  for (const code of Object.keys(TRAPS)) {
    if (!found[code]) fail(`the boot ROM has no ${code} function: not an RP2040 B1 boot ROM`);
  }
})();

function fail(msg) {
  event({ ev: 'fatal', text: msg });
  process.exit(2);
}

// --- The world outside the chip, as the board's simworld module sees it --------------------
// A peripheral at an address the RP2040 leaves unused: a request is written byte by byte,
// then its length to GO; the CPU stops until the answer is there to be read byte by byte.
const WORLD_KEY = 0x40070;                   // 0x40070000 >>> 14 << 2
const W_GO = 0x00, W_PUT = 0x04, W_LEN = 0x08, W_GET = 0x0c, W_ID = 0x10;
class WorldPort extends BasePeripheral {
  constructor(rp2040) {
    super(rp2040, 'WORLD');
    this.req = [];
    this.reply = Buffer.alloc(0);
    this.pos = 0;
  }
  readUint32(offset) {
    switch (offset) {
      case W_LEN: return this.reply.length - this.pos;
      case W_GET: return this.pos < this.reply.length ? this.reply[this.pos++] : 0;
      case W_ID: return 0x4d504b57;          // 'MPKW'
    }
    return 0;
  }
  writeUint32(offset, value) {
    if (offset === W_PUT) this.req.push(value & 0xff);
    else if (offset === W_GO) {
      const text = Buffer.from(this.req);
      this.req = [];
      this.reply = Buffer.alloc(0);
      this.pos = 0;
      worldRequest(text, (answer) => { this.reply = answer; });
    }
  }
}

// VREG_AND_CHIP_RESET: CHIP_RESET tells rp2's machine.reset_cause() why the chip restarted.
const HAD_POR = 1 << 8, HAD_RUN = 1 << 16;
class VregAndChipReset extends BasePeripheral {
  constructor(rp2040, chipReset) {
    super(rp2040, 'VREG_AND_CHIP_RESET');
    this.vreg = 0xb1; this.bod = 0x91; this.chipReset = chipReset;
  }
  readUint32(offset) {
    return offset === 0 ? this.vreg : offset === 4 ? this.bod : offset === 8 ? this.chipReset : 0;
  }
  writeUint32(offset, value) {
    if (offset === 0) this.vreg = value;
    else if (offset === 4) this.bod = value;
  }
}

// The flash's unique ID (command 0x4B), which machine.unique_id() and the USB serial number
// come from: SSI transfers made while IO_QSPI holds chip select low are answered here.
class QspiIo extends BasePeripheral {
  constructor(rp2040) { super(rp2040, 'IO_QSPI'); }
  // Reads stay all ones, as rp2040js's unmodelled block answers: the ROM's flash loops end
  // on "aborted" (SD1_CTRL.INOVER set) because rp2040js's SSI never reports RX levels.
  readUint32() { return 0xffffffff; }
  writeUint32(offset, value) {
    if (offset === 0x0c) {                   // GPIO_QSPI_SS_CTRL: OUTOVER in bits 8-9
      const low = ((value >> 8) & 3) === 2;
      if (low && !ssi.csLow) { ssi.cmd = []; ssi.rx = []; }
      ssi.csLow = low;
    }
  }
}
const ssi = { csLow: false, cmd: [], rx: [] };
const UID = Buffer.from(cfg.unique_id, 'hex');
function patchSsi(chipObj) {
  const real = chipObj.peripherals[0x18000];
  const read = real.readUint32.bind(real), write = real.writeUint32.bind(real);
  real.readUint32 = (offset) => {
    if (offset === 0x60 && ssi.csLow) return ssi.rx.length ? ssi.rx.shift() : 0;
    return read(offset);
  };
  real.writeUint32 = (offset, value) => {
    if (offset === 0x60 && ssi.csLow) {
      const i = ssi.cmd.length;
      ssi.cmd.push(value & 0xff);
      ssi.rx.push(ssi.cmd[0] === 0x4b && i >= 5 && i < 13 ? UID[i - 5] : 0);
      return;
    }
    write(offset, value);
  };
}

// --- Pausing the CPU while the host answers (I2C reads, world requests) --------------------
let paused = 0;
const waiting = [];                          // callbacks for the host's answers, in order
function hostRequest(type, payload, onAnswer) {
  paused++;
  waiting.push({ type, onAnswer });
  frame(type, payload);
}
function hostAnswer(type, payload) {
  const i = waiting.findIndex((w) => w.type === type);
  if (i < 0) return;
  const w = waiting.splice(i, 1)[0];
  w.onAnswer(payload);
  paused--;
  if (!paused) kick();
}

function worldRequest(text, setReply) {
  let req;
  try { req = JSON.parse(text.toString()); } catch (e) { setReply(Buffer.from('{"error":"bad request"}')); return; }
  const local = worldLocal(req);
  if (local !== undefined) { setReply(Buffer.from(JSON.stringify(local))); return; }
  hostRequest('W', text, (answer) => setReply(answer));
}

// Requests this process answers itself; the rest (the I2C devices) go to the host.
function worldLocal(req) {
  switch (req[0]) {
    case 'drive':                            // ["drive", gpio, 0|1|null]
      externalDrive[req[1]] = req[2] === null ? undefined : !!req[2];
      updateNet(req[1]);
      return { ok: true };
    case 'adc':                              // ["adc", gpio 26..29, u16]
      adcU16[req[1] - 26] = req[2];
      applyAdc();
      return { ok: true };
    case 'core_temp':                        // ["core_temp", celsius]
      coreTemp = req[1];
      applyAdc();
      return { ok: true };
    case 'hello':
      return { ok: true, engine: 'rp2040', board: cfg.board };
  }
  return undefined;
}

// --- GPIO: what each pin reads -----------------------------------------------------------
const netOf = new Array(30).fill(null);     // gpio -> its list of gpios (wires), or null
for (const n of cfg.wiring.nets) for (const g of n) if (g < 30) netOf[g] = n.filter((x) => x < 30);
const externalDrive = new Array(30).fill(undefined);  // buttons, simworld.drive()
const lastLevel = new Array(30).fill(false);
// The devices of the wiring file sit on each bus's default pins, with the pull-up
// resistors a breakout board has.
const busPullUp = new Array(30).fill(false);
const I2C_PINS = cfg.i2c_pins;               // bus -> [sda, scl]
for (const d of cfg.wiring.i2c) for (const g of I2C_PINS[d.bus]) busPullUp[g] = true;

function updateNet(gpio) {
  const pins = netOf[gpio] || [gpio];
  let level, driven = false;
  for (const g of pins) {                    // a driving output wins; two disagreeing: low wins
    const p = chip.gpio[g];
    if (p.outputEnable) {
      level = driven ? level && p.outputValue : p.outputValue;
      driven = true;
    }
  }
  for (const g of pins) {
    const ext = softI2C.holdsLow[g] ? false : externalDrive[g];
    if (ext !== undefined) {
      level = driven ? level && ext : ext;
      driven = true;
    }
  }
  if (!driven) {
    // An external pull-up (a few kΩ) beats the pads' internal ~50 kΩ pulls.
    let up = false, down = false, strongUp = false;
    for (const g of pins) {
      up = up || chip.gpio[g].pullupEnabled;
      down = down || chip.gpio[g].pulldownEnabled;
      strongUp = strongUp || busPullUp[g];
    }
    level = strongUp || (up && !down) ? true : down && !up ? false : lastLevel[pins[0]];  // floating: keeps its charge
  }
  for (const g of pins) {
    const changed = lastLevel[g] !== level;
    lastLevel[g] = level;
    if (chip.gpio[g].rawInputValue !== level) chip.gpio[g].setInputValue(level);
    if (chip.gpio[g].functionSelect === FUNC_I2C) softI2C.selected(g);
    if (changed) softI2C.line(g, level);
  }
}

// Bit-banged I2C on the bus pins: rp2 sends a zero-length write (I2C.scan()) this way,
// since the controller cannot, and SoftI2C on those pins does everything this way. The
// devices answer as on the controller: ACK their address, take written bytes, give read ones.
const FUNC_I2C = 3;
const softI2C = {
  lines: [],                                 // {bus, sda, scl, state...}: each pin pair watched
  holdsLow: new Array(30).fill(false),       // a device pulling SDA low
  reset(defaults) {
    this.lines = [];
    this.holdsLow.fill(false);
    defaults.forEach(([sda, scl], bus) => this.watch(bus, sda, scl));
  },
  watch(bus, sda, scl) {
    if (!this.lines.some((t) => t.sda === sda && t.scl === scl)) this.lines.push({ bus, sda, scl, state: 'idle' });
  },
  selected(g) {                              // GPIO g was given to an I2C controller
    const bus = (g >> 1) & 1, sda = g & ~1, scl = g | 1;
    if (chip.gpio[sda].functionSelect === FUNC_I2C && chip.gpio[scl].functionSelect === FUNC_I2C) this.watch(bus, sda, scl);
  },
  line(g, level) {
    for (const t of this.lines) {
      if (g === t.sda && lastLevel[t.scl]) this.sdaWhileSclHigh(t, level);
      else if (g === t.scl) this.clock(t, level);
    }
  },
  hold(t, low) {
    if (this.holdsLow[t.sda] === low) return;
    this.holdsLow[t.sda] = low;
    updateNet(t.sda);
  },
  sdaWhileSclHigh(t, level) {
    this.finish(t);
    if (!level) Object.assign(t, { state: 'addr', bits: 0, byte: 0 });   // (repeated) START
  },
  finish(t) {
    if (t.state === 'wdata' && t.data.length) frame('i', i2cFrame('w', t.bus, t.addr, t.data));
    t.state = 'idle';
    this.hold(t, false);
  },
  clock(t, high) {
    const sdaLevel = lastLevel[t.sda];
    if (high) {
      if (t.state === 'addr' || t.state === 'wdata') { t.byte = (t.byte << 1) | (sdaLevel ? 1 : 0); t.bits++; }
      else if (t.state === 'rack') t.more = !sdaLevel;
      return;
    }
    if ((t.state === 'addr' || t.state === 'wdata') && t.bits === 8) {
      if (t.state === 'addr') {
        t.addr = t.byte >> 1; t.read = !!(t.byte & 1); t.data = [];
        if (!present[t.bus].has(t.addr)) { t.state = 'nack'; return; }
        frame('i', i2cFrame('b', t.bus, t.addr));
      } else t.data.push(t.byte);
      t.after = t.state === 'addr' && t.read ? 'rdata' : 'wdata';
      t.state = 'ack';
      this.hold(t, true);
    } else if (t.state === 'ack') {
      this.hold(t, false);
      if (t.after === 'rdata') this.nextRead(t);
      else Object.assign(t, { state: 'wdata', bits: 0, byte: 0 });
    } else if (t.state === 'rdata') {
      t.bits++;
      if (t.bits < 8) this.hold(t, !((t.byte >> (7 - t.bits)) & 1));
      else { this.hold(t, false); t.state = 'rack'; t.more = false; }
    } else if (t.state === 'rack') {
      if (t.more) this.nextRead(t); else t.state = 'nack';
    }
  },
  nextRead(t) {
    t.state = 'rdata'; t.bits = 0;
    hostRequest('i', i2cFrame('r', t.bus, t.addr), (answer) => {
      t.byte = answer[0];
      this.hold(t, !(t.byte & 0x80));
    });
  },
};

function scheduleButtons() {
  for (const b of cfg.wiring.buttons) {
    let presses = 0;
    const alarm = chip.clock.createAlarm(() => {
      const down = externalDrive[b.pin] === undefined;
      externalDrive[b.pin] = down ? !!b.level : undefined;
      updateNet(b.pin);
      if (down) {
        presses++;
        alarm.schedule(b.hold_ms * 1e6);
      } else if (b.every_ms && (!b.count || presses < b.count)) {
        alarm.schedule((b.every_ms - b.hold_ms) * 1e6);
      }
    });
    alarm.schedule(b.at_ms * 1e6);
  }
}

// --- ADC -----------------------------------------------------------------------------
const adcU16 = [0, 0, 0, 0];
for (const [k, v] of Object.entries(cfg.wiring.adc)) if (k !== 'temp_c') adcU16[Number(k) - 26] = v;
let coreTemp = cfg.wiring.adc.temp_c ?? 25.0;
const adcSet = new Set(Object.keys(cfg.wiring.adc).filter((k) => k !== 'temp_c').map(Number));
function applyAdc() {
  for (let ch = 0; ch < 4; ch++) {
    // An input nobody set reads its pin's logic level, as on the unix-port board.
    const set = adcSet.has(26 + ch) || adcU16[ch] !== 0;
    chip.adc.channelValues[ch] = set ? adcU16[ch] >> 4 : (lastLevel[26 + ch] ? 4095 : 0);
  }
  // Same formula as the unix-port board (simmachine.core_temp_raw).
  const v = 0.706 - (coreTemp - 27) * 0.001721;
  chip.adc.channelValues[4] = Math.max(0, Math.min(4095, Math.floor(v / 3.3 * 4096 + 0.5)));
}

// --- I2C: the host's simulated devices, byte by byte ------------------------------------
const present = [new Set(), new Set()];
for (const d of cfg.wiring.i2c) present[d.bus].add(d.addr);
// i2c frame payloads: [op][bus][addr][data...]; op b = START, w = written bytes, r = read a byte
function i2cFrame(op, bus, addr, data) {
  return Buffer.concat([Buffer.from([op.charCodeAt(0), bus, addr]), Buffer.from(data || [])]);
}
function wireI2C(bus) {
  const i2c = chip.i2c[bus];
  let cur = null;
  const flush = () => {
    if (cur && cur.write && cur.data.length) frame('i', i2cFrame('w', bus, cur.addr, cur.data));
    cur = null;
  };
  i2c.onStart = () => { flush(); i2c.completeStart(); };
  i2c.onConnect = (addr, mode) => {
    if (!present[bus].has(addr)) { i2c.completeConnect(false); return; }
    cur = { addr, write: mode === 0, data: [] };
    frame('i', i2cFrame('b', bus, addr));
    i2c.completeConnect(true);
  };
  i2c.onWriteByte = (value) => { if (cur) cur.data.push(value); i2c.completeWrite(true); };
  i2c.onReadByte = () => {
    const addr = cur ? cur.addr : 0;
    hostRequest('i', i2cFrame('r', bus, addr), (answer) => i2c.completeRead(answer[0]));
  };
  i2c.onStop = () => { flush(); i2c.completeStop(); };
}

// --- UART and SPI -------------------------------------------------------------------------
const UART_TX_INTR = 1 << 5;
const uartLinks = [null, null];
function wireUart(n) {
  const u = chip.uart[n];
  u.checkInterrupts = function () {
    this.rp2040.setInterrupt(this.irq, !!(this.interruptStatus & this.interruptMask));
  };
  const spec = cfg.wiring.uart[String(n)] || { mode: 'loopback' };
  if (spec.mode === 'socket') {
    if (!uartLinks[n]) {
      const s = net.connect(spec.port, spec.host);
      s.on('error', () => {});
      uartLinks[n] = s;
    }
    uartLinks[n].removeAllListeners('data');
    uartLinks[n].on('data', (d) => { for (const b of d) chip.uart[n].feedByte(b); kick(); });
  }
  u.onByte = (value) => {
    if (spec.mode === 'socket') uartLinks[n].write(Buffer.from([value]));
    else u.feedByte(value);                  // TX wired to RX
    u.interruptStatus |= UART_TX_INTR;
    u.checkInterrupts();
  };
}
function wireSpi(n) {
  const s = chip.spi[n];
  s.onTransmit = (value) => s.completeTransmit(value);   // MOSI wired to MISO
}

// --- USB CDC: the serial port ---------------------------------------------------------------
const TO_BOARD_MAX = 64 * 1024;
const toBoard = [];                          // host bytes waiting for the board to read them
let toBoardLen = 0;
let pendingOut = null;                       // {endpoint, size}: an OUT read held (NAK)
let cdc = null, usbUp = false;

class HeldReadCDC extends USBCDC {
  constructor(usb) {
    super(usb);
    usb.onEndpointRead = (endpoint, size) => {
      if (endpoint !== this.outEndpoint) return;
      pendingOut = { endpoint, size };
      serveOut();
    };
  }
}
function serveOut() {
  if (!pendingOut || !toBoardLen || !cdc) return;
  const { endpoint, size } = pendingOut;
  pendingOut = null;
  const n = Math.min(size, toBoardLen);
  const buf = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const head = toBoard[0];
    const take = Math.min(head.length, n - i);
    buf.set(head.subarray(0, take), i);
    i += take;
    if (take === head.length) toBoard.shift(); else toBoard[0] = head.subarray(take);
  }
  toBoardLen -= n;
  chip.usbCtrl.endpointReadDone(endpoint, buf);
}

// --- The chip, and its reboots ---------------------------------------------------------------
let chip = null;
let resetRequest = null;                     // {why, chipReset} once the chip must restart
let extraNanos = 0;                          // time the CPU spent waiting for the flash

function buildChip(chipReset, keepWatchdog) {
  const old = chip;
  chip = new RP2040();
  chip.logger = new ConsoleLogger(LogLevel.Error);
  chip.loadBootrom(rom);
  chip.flash.set(flashImage);
  chip.peripherals[WORLD_KEY] = new WorldPort(chip);
  chip.peripherals[0x40064] = new VregAndChipReset(chip, chipReset);
  chip.peripherals[0x40018] = new QspiIo(chip);
  patchSsi(chip);
  const wd = chip.peripherals[0x40058];
  if (keepWatchdog && old) {
    const owd = old.peripherals[0x40058];
    wd.scratchData.set(owd.scratchData);
    wd.reason = owd.reason;
  }
  wd.onWatchdogTrigger = () => {
    // rp2040js re-arms the timer and would trigger again at once: stop it, reboot instead.
    wd.timer.enable = false;
    wd.alarm.enable = false;
    wd.enable = false;
    if (!resetRequest) resetRequest = { why: wd.reason === 2 ? 'reset' : 'watchdog', chipReset: 0, keep: true };
  };
  chip.onBreak = (code) => {
    const core = chip.core;
    const r = core.registers;
    if (code === 1) extraNanos += flashErase(r[0] >>> 0, r[1] >>> 0);
    else if (code === 2) extraNanos += flashProgram(r[0] >>> 0, r[1] >>> 0, r[2] >>> 0);
    else if (code !== 3) {                   // a real breakpoint in the firmware: a hard fault
      if (!resetRequest) resetRequest = { why: 'crash', chipReset: HAD_POR, keep: false };
      return;
    }
    core.PC = core.LR & ~1;                  // return from the trapped ROM function
  };
  softI2C.reset([I2C_PINS[0], I2C_PINS[1]]);
  for (let g = 0; g < 30; g++) {
    const gpio = g;
    chip.gpio[g].addListener(() => updateNet(gpio));
  }
  wireI2C(0); wireI2C(1);
  wireUart(0); wireUart(1);
  wireSpi(0); wireSpi(1);
  applyAdc();
  for (let g = 0; g < 30; g++) updateNet(g);
  scheduleButtons();
  pendingOut = null;
  usbUp = false;
  cdc = new HeldReadCDC(chip.usbCtrl);
  cdc.onDeviceConnected = () => { usbUp = true; event({ ev: 'usb', up: true }); };
  cdc.onSerialData = (data) => frame('S', Buffer.from(data));
  chip.core.PC = 0x10000000;                 // boot2, as the ROM would after its checks
  syncEmu = 0;
  syncWall = wallNanos();
}

function reboot(req) {
  // USB goes away: what the host sent before and the board did not read is lost.
  toBoard.length = 0;
  toBoardLen = 0;
  event({ ev: 'reset', why: req.why });
  buildChip(req.chipReset, req.keep);
}

// --- Running: emulated time never ahead of the wall clock while the core sleeps -------------
const wallNanos = () => Number(process.hrtime.bigint());
let syncEmu = 0, syncWall = 0;               // emulated and wall time when the CPU last ran
const AHEAD_NS = 2e6;                        // sleeps this short are not waited for
let timer = null, scheduled = false, quitting = false;

function kick() {
  if (timer) { clearTimeout(timer); timer = null; }
  if (!scheduled && !paused && !quitting) { scheduled = true; setImmediate(runSlice); }
}

function runSlice() {
  scheduled = false;
  if (paused || quitting) return;
  const sliceEnd = wallNanos() + 8e6;
  const cycleNanos = 1e9 / (chip.clkSys || 125e6);
  while (!paused) {
    const core = chip.core, clock = chip.clock;
    if (resetRequest) { const r = resetRequest; resetRequest = null; reboot(r); continue; }
    if (core.waiting) {
      const toAlarm = clock.nextAlarm ? clock.nanosToNextAlarm : Infinity;
      const allowed = syncEmu + (wallNanos() - syncWall) + AHEAD_NS;
      if (clock.nanos + toAlarm <= allowed) { clock.tick(toAlarm); continue; }
      // Sleep until the alarm is due on the wall clock, or until the host sends something.
      if (allowed > clock.nanos) clock.tick(Math.min(allowed - clock.nanos, toAlarm));
      const waitMs = toAlarm === Infinity ? 1000 : Math.max(1, (clock.nanos + toAlarm - allowed) / 1e6);
      timer = setTimeout(() => { timer = null; kick(); }, Math.min(waitMs, 1000));
      return;
    }
    for (let i = 0; i < 4000 && !paused && !core.waiting && !resetRequest; i++) {
      clock.tick(core.executeInstruction() * cycleNanos);
      if (extraNanos) { clock.tick(extraNanos); extraNanos = 0; }
    }
    syncEmu = clock.nanos;
    syncWall = wallNanos();
    if (syncWall > sliceEnd) break;
  }
  if (!paused) { scheduled = true; setImmediate(runSlice); }
}

// --- Host input ---------------------------------------------------------------------------
let inbuf = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  inbuf = inbuf.length ? Buffer.concat([inbuf, chunk]) : chunk;
  while (inbuf.length >= 5) {
    const len = inbuf.readUInt32LE(1);
    if (inbuf.length < 5 + len) break;
    const type = String.fromCharCode(inbuf[0]);
    const payload = inbuf.subarray(5, 5 + len);
    inbuf = inbuf.subarray(5 + len);
    onFrame(type, payload);
  }
});
process.stdin.on('end', quit);
process.on('SIGTERM', quit);

function onFrame(type, payload) {
  if (type === 'S') {
    // While the chip reboots and its USB enumerates, what the host sends waits (up to
    // TO_BOARD_MAX) instead of vanishing: on a real Pico the port is simply not there then.
    if (!usbUp && toBoardLen + payload.length > TO_BOARD_MAX) return;
    toBoard.push(Buffer.from(payload));
    toBoardLen += payload.length;
    serveOut();
    kick();
  } else if (type === 'I' || type === 'W') {
    hostAnswer(type === 'I' ? 'i' : 'W', Buffer.from(payload));
  } else if (type === 'C') {
    const c = JSON.parse(payload.toString());
    if (c.op === 'reset') {                  // the RUN pin (or power) cycled by the host
      resetRequest = { why: c.why || 'run', chipReset: c.power ? HAD_POR : HAD_RUN, keep: false };
      if (paused) { waiting.length = 0; paused = 0; }
      kick();
    } else if (c.op === 'quit') {
      quit();
    } else if (c.op === 'drive') {
      worldLocal(['drive', c.gpio, c.level]);
      kick();
    }
  }
}

function quit() {
  if (quitting) return;
  quitting = true;
  try { fs.fsyncSync(flashFd); fs.closeSync(flashFd); } catch (e) { /* already closed */ }
  for (const s of uartLinks) if (s) s.destroy();
  process.exit(0);
}

buildChip(HAD_POR, false);
event({ ev: 'power-on' });
kick();
