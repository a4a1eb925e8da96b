const cds = require('@sap/cds')

module.exports = class TestService extends cds.ApplicationService {
  init() {
    // An unbound action: deletes the books created by a test run, returns how many.
    this.on('reset', async () => {
      const { Books } = this.entities
      return await DELETE.from(Books).where('ID >=', 1000)
    })
    return super.init()
  }
}
