import modbusSerial from 'modbus-serial';
import type { StationConfig } from '../../agent/config/schema.js';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import { createDevicePoller } from '../../drivers/modbus/devicePoller.js';
import type { PlannedRequest } from '../../drivers/modbus/requestPlanner.js';

/**
 * The baseline of workload 1: modbus-serial alone, reading the same requests the agent plans for the
 * same devices (the agent's planner decides the blocks; both sides then ask exactly the same
 * questions), one after another as fast as answers come, with nothing done with the answers.
 */

const ModbusRTU = modbusSerial.default;

export interface BareLoopCounts {
  elapsedMs: number;
  transactions: number;
}

export async function measureBareLoop(
  config: StationConfig,
  host: string,
  port: number,
  windowMs: number,
  warmupMs: number,
): Promise<BareLoopCounts> {
  const noBus = { read: () => Promise.reject(new Error('planning only')) };
  const work: { unit: number; req: PlannedRequest }[] = [];
  for (const device of config.devices) {
    const { plan } = createDevicePoller({ device, bus: noBus, clock: systemClock, log: silentLogger() });
    for (const req of plan) work.push({ unit: device.unit, req });
  }
  const client = new ModbusRTU();
  await client.connectTCP(host, { port });
  client.setTimeout(1000);
  let transactions = 0;
  let counting = false;
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const { unit, req } of work) {
        client.setID(unit);
        if (req.table === 'holding') await client.readHoldingRegisters(req.address, req.count);
        else if (req.table === 'input') await client.readInputRegisters(req.address, req.count);
        else if (req.table === 'coil') await client.readCoils(req.address, req.count);
        else await client.readDiscreteInputs(req.address, req.count);
        if (counting) transactions++;
      }
    }
  })();
  try {
    await Promise.race([sleep(warmupMs), loop]);
    counting = true;
    const t0 = performance.now();
    await Promise.race([sleep(windowMs), loop]);
    counting = false;
    return { elapsedMs: performance.now() - t0, transactions };
  } finally {
    running = false;
    await loop.catch(() => {});
    await new Promise<void>((r) => client.close(() => r()));
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
