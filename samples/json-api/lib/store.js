// The database-free store: an in-memory table behind the asynchronous API a database client would have.
class Store {
  constructor() {
    this.rows = new Map();
    this.nextId = 1;
  }

  async insert(row) {
    const id = String(this.nextId++);
    const stored = { id, ...row };
    this.rows.set(id, stored);
    return { ...stored };
  }

  async find(id) {
    const row = this.rows.get(id);
    return row === undefined ? undefined : { ...row };
  }

  async all() {
    return [...this.rows.values()].map((row) => ({ ...row }));
  }

  async update(id, changes) {
    const row = this.rows.get(id);
    if (row === undefined) return undefined;
    Object.assign(row, changes);
    return { ...row };
  }

  async remove(id) {
    return this.rows.delete(id);
  }
}

module.exports = { Store };
