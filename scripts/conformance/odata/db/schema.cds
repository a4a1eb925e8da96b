// A small model for checking the dynamics365-client OData core against SAP CAP:
// simple and composite (F&O-like) keys, a navigation, decimals, dates and an ETag.
namespace conformance;

entity Authors {
  key ID    : Integer;
      name  : String(100);
      books : Association to many Books on books.author = $self;
}

entity Books {
  key ID         : Integer;
      title      : String(200);
      stock      : Integer;
      price      : Decimal(9, 2);
      published  : Date;
      author     : Association to Authors;
      @odata.etag
      modifiedAt : Timestamp @cds.on.insert: $now  @cds.on.update: $now;
}

// Keyed like a Finance & Operations entity: (dataAreaId, CustomerAccount).
entity Customers {
  key dataAreaId      : String(4);
  key CustomerAccount : String(20);
      Name            : String(100);
}
