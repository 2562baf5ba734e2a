/**
 * What every readings and aggregates batch says about where it was produced (docs/mqtt-contract.md):
 * the configuration in force when it was encoded, and the database its seqs belong to. A platform
 * matches `cfg` against the station's audit log (`station-agent audit show`) to know which ranges,
 * limits and scales the values were produced under; a reload starts new batches under the new hash.
 */
export interface BatchOrigin {
  /** sha256 (hex) of the config file in force: the hash of status, birth and the audit log's after_hash. */
  cfg: string;
  /** The store's db_id (storeIdentity.ts): seqs are unique within one db_id. */
  db: string;
}
