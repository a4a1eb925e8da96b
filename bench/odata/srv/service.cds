using bench from '../db/schema';

// Read-only; pages of 1,000 (cds.query.limit in package.json), so a full read follows
// `@odata.nextLink` ($skiptoken) 99 times for 100k rows.
@path: '/odata/v4/bench'
@readonly
service BenchService {
  entity Payments as projection on bench.Payments;
}
