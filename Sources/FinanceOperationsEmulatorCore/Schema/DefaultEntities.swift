/// The entities the emulator serves without a schema file: the usual integration entities of
/// Finance and Supply Chain Management, with their documented set and type names, keys and
/// typical fields. Field types are as community `$metadata` captures show them (Learn's entity
/// pages give names, not types); see docs/finance-operations-emulator.md.
///
/// Sources: https://learn.microsoft.com/en-us/dynamics365/fin-ops-core/dev-itpro/data-entities/entity-customers-v3-customerv3,
/// .../entity-released-products-v2-releasedproductv2, .../entity-sales-order-headers-v2-salesorderheaderv2,
/// .../entity-sales-order-lines-v2-salesorderline, .../entity-general-journal-ledgerjournalheader,
/// .../entity-general-journal-ledgerjournalline; released products refuse delete:
/// https://learn.microsoft.com/en-us/dynamics365/supply-chain/pim/data-entities. Navigation
/// properties: `SalesOrderHeadersV2(...)/SalesOrderLines` and `$expand=PurchaseOrderLinesV2` as
/// community captures use them; the journal line's to its header is the emulator's own.
/// Customers V3 carry `ModifiedDateTime`, set on every write, as an entity extended for polling
/// does (the standard entity does not expose it). Sales
/// invoice headers V2 (fields from the Common Data Model's SalesInvoiceHeaderV2Entity page; the
/// customer account, order number and due date fields are the emulator's assumption) stand for
/// posted invoices: creating one raises `SalesInvoicePostedBusinessEvent` with its documented
/// contract fields (https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/business-events/business-events-dev-doc).
public enum DefaultEntities {
    public static let yaml = """
        enums:
          NoYes: [No, Yes]
          DirPartyType: [Organization, Person]
          CustVendorBlocked: [No, Invoice, All, Payment, Requisition, Never]
          EcoResProductType: [Item, Service]
          EcoResProductSubtype: [Product, ProductMaster]
          SalesStatus: [None, Backorder, Delivered, Invoiced, Canceled]
          PurchStatus: [None, Backorder, Received, Invoiced, Canceled]
          LedgerJournalACType: [Ledger, Cust, Vend, Project, FixedAssets, Bank]
          CurrentOperationsTax: [None, Current, Operations, Tax]
        entities:
          - set: CustomersV3
            type: CustomerV3
            table: CustCustomerV3Entity
            key: [CustomerAccount]
            fields:
              CustomerAccount: { type: string, max_length: 20, number_sequence: "C-" }
              PartyType: { type: enum, enum: DirPartyType }
              OrganizationName: { type: string, max_length: 100 }
              PersonFirstName: { type: string, max_length: 25 }
              PersonLastName: { type: string, max_length: 25 }
              CustomerGroupId: { type: string, max_length: 10, mandatory: true }
              SalesCurrencyCode: { type: string, max_length: 3, mandatory: true }
              PaymentTerms: { type: string, max_length: 10 }
              PaymentMethod: { type: string, max_length: 10 }
              SalesTaxGroup: { type: string, max_length: 10 }
              InvoiceAccount: { type: string, max_length: 20 }
              CreditLimit: real
              IsSalesTaxIncludedInPrice: { type: enum, enum: NoYes }
              OnHoldStatus: { type: enum, enum: CustVendorBlocked }
              AddressCity: { type: string, max_length: 60 }
              AddressZipCode: { type: string, max_length: 10 }
              AddressCountryRegionId: { type: string, max_length: 10 }
              PrimaryContactEmail: { type: string, max_length: 255 }
              PrimaryContactPhone: { type: string, max_length: 255 }
              ModifiedDateTime: datetime
            modified_field: ModifiedDateTime
          - set: VendorsV2
            type: VendorV2
            table: VendVendorV2Entity
            key: [VendorAccountNumber]
            fields:
              VendorAccountNumber: { type: string, max_length: 20, number_sequence: "V-" }
              VendorPartyType: { type: enum, enum: DirPartyType }
              VendorOrganizationName: { type: string, max_length: 100 }
              VendorGroupId: { type: string, max_length: 10, mandatory: true }
              CurrencyCode: { type: string, max_length: 3 }
              DefaultPaymentTermsName: { type: string, max_length: 10 }
              DefaultVendorPaymentMethodName: { type: string, max_length: 10 }
              SalesTaxGroupCode: { type: string, max_length: 10 }
              OnHoldStatus: { type: enum, enum: CustVendorBlocked }
              CreditLimit: real
              AddressCity: { type: string, max_length: 60 }
              AddressCountryRegionId: { type: string, max_length: 10 }
              PrimaryEmailAddress: { type: string, max_length: 255 }
              PrimaryPhoneNumber: { type: string, max_length: 255 }
          - set: ReleasedProductsV2
            type: ReleasedProductV2
            table: EcoResReleasedProductV2Entity
            key: [ItemNumber]
            deletable: false
            fields:
              ItemNumber: { type: string, max_length: 20 }
              ProductNumber: { type: string, max_length: 20, mandatory: true }
              SearchName: { type: string, max_length: 20 }
              ProductType: { type: enum, enum: EcoResProductType }
              ProductSubType: { type: enum, enum: EcoResProductSubtype }
              ItemModelGroupId: { type: string, max_length: 10 }
              ProductGroupId: { type: string, max_length: 10 }
              InventoryUnitSymbol: { type: string, max_length: 10 }
              SalesUnitSymbol: { type: string, max_length: 10 }
              PurchaseUnitSymbol: { type: string, max_length: 10 }
              SalesPrice: real
              PurchasePrice: real
              UnitCost: real
              PrimaryVendorAccountNumber: { type: string, max_length: 20 }
          - set: SalesOrderHeadersV2
            type: SalesOrderHeaderV2
            table: SalesOrderHeaderV2Entity
            key: [SalesOrderNumber]
            fields:
              SalesOrderNumber: { type: string, max_length: 20, number_sequence: "SO-" }
              OrderingCustomerAccountNumber: { type: string, max_length: 20, mandatory: true }
              InvoiceCustomerAccountNumber: { type: string, max_length: 20, mandatory: true }
              CurrencyCode: { type: string, max_length: 3 }
              RequestedShippingDate: date
              RequestedReceiptDate: date
              PaymentTermsName: { type: string, max_length: 10 }
              CustomerPaymentMethodName: { type: string, max_length: 10 }
              DeliveryTermsCode: { type: string, max_length: 10 }
              SalesTaxGroupCode: { type: string, max_length: 10 }
              CustomersOrderReference: { type: string, max_length: 60 }
              SalesOrderStatus: { type: enum, enum: SalesStatus }
              DefaultShippingWarehouseId: { type: string, max_length: 10 }
              DefaultShippingSiteId: { type: string, max_length: 10 }
            navigation:
              SalesOrderLines: { set: SalesOrderLines, on: { SalesOrderNumber: SalesOrderNumber }, many: true }
          - set: SalesOrderLines
            type: SalesOrderLine
            table: SalesOrderLineV2Entity
            key: [InventoryLotId]
            fields:
              InventoryLotId: { type: string, max_length: 20, number_sequence: "LOT-" }
              SalesOrderNumber: { type: string, max_length: 20, mandatory: true }
              ItemNumber: { type: string, max_length: 20, mandatory: true }
              LineNumber: real
              OrderedSalesQuantity: real
              SalesPrice: real
              LineAmount: real
              SalesUnitSymbol: { type: string, max_length: 10 }
              RequestedShippingDate: date
              ShippingWarehouseId: { type: string, max_length: 10 }
              ShippingSiteId: { type: string, max_length: 10 }
          - set: PurchaseOrderHeadersV2
            type: PurchaseOrderHeaderV2
            table: PurchPurchaseOrderHeaderV2Entity
            key: [PurchaseOrderNumber]
            fields:
              PurchaseOrderNumber: { type: string, max_length: 20, number_sequence: "PO-" }
              OrderVendorAccountNumber: { type: string, max_length: 20, mandatory: true }
              InvoiceVendorAccountNumber: { type: string, max_length: 20 }
              CurrencyCode: { type: string, max_length: 3 }
              PurchaseOrderStatus: { type: enum, enum: PurchStatus }
              AccountingDate: date
              RequestedDeliveryDate: date
              ConfirmedDeliveryDate: date
              DeliveryTermsId: { type: string, max_length: 10 }
              VendorPaymentMethodName: { type: string, max_length: 10 }
              DefaultReceivingWarehouseId: { type: string, max_length: 10 }
              DefaultReceivingSiteId: { type: string, max_length: 10 }
            navigation:
              PurchaseOrderLinesV2: { set: PurchaseOrderLinesV2, on: { PurchaseOrderNumber: PurchaseOrderNumber }, many: true }
          - set: PurchaseOrderLinesV2
            type: PurchaseOrderLineV2
            table: PurchPurchaseOrderLineV2Entity
            key: [PurchaseOrderNumber, LineNumber]
            fields:
              PurchaseOrderNumber: { type: string, max_length: 20 }
              LineNumber: int64
              ItemNumber: { type: string, max_length: 20, mandatory: true }
              OrderedPurchaseQuantity: real
              PurchasePrice: real
              LineAmount: real
              PurchaseUnitSymbol: { type: string, max_length: 10 }
              ReceivingWarehouseId: { type: string, max_length: 10 }
              ReceivingSiteId: { type: string, max_length: 10 }
          - set: LedgerJournalHeaders
            type: LedgerJournalHeader
            table: LedgerJournalHeaderEntity
            key: [JournalBatchNumber]
            fields:
              JournalBatchNumber: { type: string, max_length: 20, number_sequence: "JN-" }
              JournalName: { type: string, max_length: 10, mandatory: true }
              Description: { type: string, max_length: 60 }
              PostingLayer: { type: enum, enum: CurrentOperationsTax }
              IsPosted: { type: enum, enum: NoYes }
          - set: LedgerJournalLines
            type: LedgerJournalLine
            table: LedgerJournalLineEntity
            key: [JournalBatchNumber, LineNumber]
            fields:
              JournalBatchNumber: { type: string, max_length: 20 }
              LineNumber: real
              AccountType: { type: enum, enum: LedgerJournalACType }
              AccountDisplayValue: { type: string, max_length: 500 }
              OffsetAccountType: { type: enum, enum: LedgerJournalACType }
              OffsetAccountDisplayValue: { type: string, max_length: 500 }
              TransDate: { type: date, mandatory: true }
              Voucher: { type: string, max_length: 20 }
              CurrencyCode: { type: string, max_length: 3, mandatory: true }
              DebitAmount: real
              CreditAmount: real
              Text: { type: string, max_length: 60 }
            navigation:
              LedgerJournalHeader: { set: LedgerJournalHeaders, on: { JournalBatchNumber: JournalBatchNumber }, many: false }
          - set: SalesInvoiceHeadersV2
            type: SalesInvoiceHeaderV2
            table: SalesInvoiceHeaderV2Entity
            key: [InvoiceNumber]
            deletable: false
            fields:
              InvoiceNumber: { type: string, max_length: 20, number_sequence: "INV-" }
              InvoiceCustomerAccountNumber: { type: string, max_length: 20, mandatory: true }
              SalesOrderNumber: { type: string, max_length: 20 }
              InvoiceDate: { type: date, mandatory: true }
              DueDate: date
              CurrencyCode: { type: string, max_length: 3, mandatory: true }
              PaymentTermsName: { type: string, max_length: 10 }
              CustomersOrderReference: { type: string, max_length: 60 }
              TotalInvoiceAmount: real
              TotalTaxAmount: real
              TotalChargeAmount: real
            business_events:
              SalesInvoicePostedBusinessEvent:
                on: [create]
                fields:
                  InvoiceAccount: InvoiceCustomerAccountNumber
                  InvoiceId: InvoiceNumber
                  SalesOrderId: SalesOrderNumber
                  InvoiceDate: InvoiceDate
                  InvoiceDueDate: DueDate
                  InvoiceAmountInAccountingCurrency: TotalInvoiceAmount
                  InvoiceTaxAmount: TotalTaxAmount
                  LegalEntity: dataAreaId
        """

    /// The default schema, read once.
    public static let schema: EntitySchema = {
        // The text above is part of the program; a mistake in it fails DefaultEntitiesTests.
        (try? EntitySchemaReader.read(yaml, file: "default schema")) ?? EntitySchema(entities: [], enums: [:])
    }()
}
