/// The tables served when no schema file is given: the common sales tables with their usual columns
/// and the logical names, entity set names and key columns Dataverse gives them.
public enum DefaultSchema {
    public static var schema: EmulatorSchema {
        // The text is part of the product; a test reads it, so it never fails to load.
        try! SchemaReader.read(yaml, file: "default-schema.yaml")
    }

    /// The default schema as a file users can copy and extend (`switchboard emulate dataverse --print-schema`).
    public static let yaml = """
        # Tables served by `switchboard emulate dataverse`. Column types: string, memo, integer,
        # decimal, money, boolean, datetime, lookup (with target), choice (with options).
        # createdon, modifiedon and versionnumber are added to every table.
        tables:
          - logical_name: account
            entity_set: accounts
            display_name: Account
            primary_id: accountid
            primary_name: name
            columns:
              name: { type: string, max_length: 160, display_name: Account Name }
              accountnumber: { type: string, max_length: 20, display_name: Account Number }
              description: { type: memo, display_name: Description }
              telephone1: { type: string, max_length: 50, display_name: Main Phone }
              emailaddress1: { type: string, max_length: 100, display_name: Email }
              websiteurl: { type: string, max_length: 200, display_name: Website }
              address1_line1: { type: string, max_length: 250, display_name: Address 1 Street 1 }
              address1_city: { type: string, max_length: 80, display_name: Address 1 City }
              address1_postalcode: { type: string, max_length: 20, display_name: Address 1 ZIP/Postal Code }
              address1_country: { type: string, max_length: 80, display_name: Address 1 Country/Region }
              revenue: { type: money, display_name: Annual Revenue }
              numberofemployees: { type: integer, display_name: Number of Employees }
              creditonhold: { type: boolean, display_name: Credit Hold }
              industrycode: { type: choice, display_name: Industry, options: { 1: Accounting, 2: Agriculture and Non-petrol Natural Resource Extraction, 3: Broadcasting Printing and Publishing, 4: Brokers, 5: Building Supply Retail, 6: Business Services, 7: Consulting, 8: Consumer Services, 9: Design Direction and Creative Management, 10: Distributors Dispatchers and Processors, 11: Doctor's Offices and Clinics, 12: Durable Manufacturing, 13: Eating and Drinking Places, 14: Entertainment Retail, 15: Equipment Rental and Leasing, 16: Financial, 17: Food and Tobacco Processing, 18: Inbound Capital Intensive Processing, 19: Inbound Repair and Services, 20: Insurance, 21: Legal Services, 22: Non-Durable Merchandise Retail, 23: Outbound Consumer Service, 24: Petrochemical Extraction and Distribution, 25: Service Retail, 26: SIG Affiliations, 27: Social Services, 28: Special Outbound Trade Contractors, 29: Specialty Realty, 30: Transportation, 31: Utility Creation and Distribution, 32: Vehicle Retail, 33: Wholesale } }
              statecode: { type: choice, display_name: Status, options: { 0: Active, 1: Inactive } }
              primarycontactid: { type: lookup, target: contact, display_name: Primary Contact }
              parentaccountid: { type: lookup, target: account, display_name: Parent Account }
            keys:
              - { name: accountnumber_key, display_name: Account Number Key, columns: [accountnumber] }

          - logical_name: contact
            entity_set: contacts
            display_name: Contact
            primary_id: contactid
            primary_name: fullname
            columns:
              fullname: { type: string, max_length: 160, display_name: Full Name }
              firstname: { type: string, max_length: 50, display_name: First Name }
              lastname: { type: string, max_length: 50, display_name: Last Name }
              emailaddress1: { type: string, max_length: 100, display_name: Email }
              telephone1: { type: string, max_length: 50, display_name: Business Phone }
              mobilephone: { type: string, max_length: 50, display_name: Mobile Phone }
              jobtitle: { type: string, max_length: 100, display_name: Job Title }
              birthdate: { type: datetime, display_name: Birthday }
              address1_city: { type: string, max_length: 80, display_name: Address 1 City }
              donotemail: { type: boolean, display_name: Do not allow Emails }
              statecode: { type: choice, display_name: Status, options: { 0: Active, 1: Inactive } }
              parentcustomerid: { type: lookup, target: account, display_name: Company Name }
            keys:
              - { name: emailaddress1_key, display_name: Email Key, columns: [emailaddress1] }

          - logical_name: lead
            entity_set: leads
            display_name: Lead
            primary_id: leadid
            primary_name: subject
            columns:
              subject: { type: string, max_length: 300, display_name: Topic }
              firstname: { type: string, max_length: 50, display_name: First Name }
              lastname: { type: string, max_length: 50, display_name: Last Name }
              companyname: { type: string, max_length: 100, display_name: Company Name }
              emailaddress1: { type: string, max_length: 100, display_name: Email }
              telephone1: { type: string, max_length: 50, display_name: Business Phone }
              description: { type: memo, display_name: Description }
              estimatedamount: { type: money, display_name: Est. Value }
              leadsourcecode: { type: choice, display_name: Lead Source, options: { 1: Advertisement, 2: Employee Referral, 3: External Referral, 4: Partner, 5: Public Relations, 6: Seminar, 7: Trade Show, 8: Web, 9: Word of Mouth, 10: Other } }
              statecode: { type: choice, display_name: Status, options: { 0: Open, 1: Qualified, 2: Disqualified } }
              parentaccountid: { type: lookup, target: account, display_name: Parent Account for lead }

          - logical_name: opportunity
            entity_set: opportunities
            display_name: Opportunity
            primary_id: opportunityid
            primary_name: name
            columns:
              name: { type: string, max_length: 300, display_name: Topic }
              description: { type: memo, display_name: Description }
              estimatedvalue: { type: money, display_name: Est. Revenue }
              estimatedclosedate: { type: datetime, display_name: Est. Close Date }
              closeprobability: { type: integer, display_name: Probability }
              statecode: { type: choice, display_name: Status, options: { 0: Open, 1: Won, 2: Lost } }
              parentaccountid: { type: lookup, target: account, display_name: Account }
              parentcontactid: { type: lookup, target: contact, display_name: Contact }
              originatingleadid: { type: lookup, target: lead, display_name: Originating Lead }

          - logical_name: product
            entity_set: products
            display_name: Product
            primary_id: productid
            primary_name: name
            columns:
              name: { type: string, max_length: 100, display_name: Name }
              productnumber: { type: string, max_length: 100, display_name: Product ID }
              description: { type: memo, display_name: Description }
              price: { type: money, display_name: List Price }
              standardcost: { type: money, display_name: Standard Cost }
              quantityonhand: { type: decimal, display_name: Quantity On Hand }
              producttypecode: { type: choice, display_name: Product Type, options: { 1: Sales Inventory, 2: Miscellaneous Charges, 3: Services, 4: Flat Fees } }
              statecode: { type: choice, display_name: Status, options: { 0: Active, 1: Retired, 2: Draft, 3: Under Revision } }
            keys:
              - { name: productnumber_key, display_name: Product ID Key, columns: [productnumber] }

          - logical_name: salesorder
            entity_set: salesorders
            display_name: Order
            primary_id: salesorderid
            primary_name: name
            columns:
              name: { type: string, max_length: 300, display_name: Name }
              ordernumber: { type: string, max_length: 100, display_name: Order ID }
              description: { type: memo, display_name: Description }
              totalamount: { type: money, display_name: Total Amount }
              discountamount: { type: money, display_name: Order Discount Amount }
              freightamount: { type: money, display_name: Freight Amount }
              requestdeliveryby: { type: datetime, display_name: Requested Delivery Date }
              submitdate: { type: datetime, display_name: Date Submitted }
              ispricelocked: { type: boolean, display_name: Prices Locked }
              statecode: { type: choice, display_name: Status, options: { 0: Active, 1: Submitted, 2: Canceled, 3: Fulfilled, 4: Invoiced } }
              customerid: { type: lookup, target: account, display_name: Customer }
              opportunityid: { type: lookup, target: opportunity, display_name: Opportunity }
            keys:
              - { name: ordernumber_key, display_name: Order ID Key, columns: [ordernumber] }

          - logical_name: invoice
            entity_set: invoices
            display_name: Invoice
            primary_id: invoiceid
            primary_name: name
            columns:
              name: { type: string, max_length: 300, display_name: Name }
              invoicenumber: { type: string, max_length: 100, display_name: Invoice ID }
              description: { type: memo, display_name: Description }
              totalamount: { type: money, display_name: Total Amount }
              totaltax: { type: money, display_name: Total Tax }
              duedate: { type: datetime, display_name: Due Date }
              customerid: { type: lookup, target: account, display_name: Customer }
              salesorderid: { type: lookup, target: salesorder, display_name: Order }
            keys:
              - { name: invoicenumber_key, display_name: Invoice ID Key, columns: [invoicenumber] }

          - logical_name: salesorderdetail
            entity_set: salesorderdetails
            display_name: Order Product
            primary_id: salesorderdetailid
            primary_name: productdescription
            columns:
              productdescription: { type: string, max_length: 500, display_name: Write-In Product }
              quantity: { type: decimal, display_name: Quantity }
              priceperunit: { type: money, display_name: Price Per Unit }
              extendedamount: { type: money, display_name: Extended Amount }
              lineitemnumber: { type: integer, display_name: Line Item Number }
              salesorderid: { type: lookup, target: salesorder, display_name: Order }
              productid: { type: lookup, target: product, display_name: Existing Product }
            keys:
              - { name: orderline_key, display_name: Order Line Key, columns: [salesorderid, lineitemnumber] }
        """
}
