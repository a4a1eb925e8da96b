// One entity shaped like an ERP's customer payment lines: ten columns of the usual types.
namespace bench;

entity Payments {
  key ID           : Integer;
      paymentId    : String(20);
      customer     : String(100);
      email        : String(100);
      amount       : Decimal(12, 2);
      currency     : String(3);
      status       : String(20);
      method       : String(20);
      last4        : String(4);
      invoice      : String(20);
      createdAt    : Timestamp;
      settledOn    : Date;
}
