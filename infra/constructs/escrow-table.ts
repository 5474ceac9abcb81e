import { RemovalPolicy } from "aws-cdk-lib";
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
  type TableProps,
} from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { TABLE } from "../../functions/adapters/table-schema";

/**
 * The single table: escrows, waits, idempotency records, client → tenant map.
 *
 * Encryption: the AWS managed key (aws/dynamodb). It is KMS encryption with
 * key use logged in CloudTrail, which is what PCI DSS 3.4 asks of stored
 * data; the table holds no card data (payment methods are provider tokens).
 * A customer managed key would add a key policy to administer and a
 * kms:Decrypt grant to every function for no change in who can read the data
 * (IAM on the table already decides that). Switch to CUSTOMER_MANAGED if the
 * team needs crypto-shredding or key-admin separation.
 */
export class EscrowTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const props: TableProps = {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: TABLE.ttlAttribute,
    };
    this.table = new Table(this, "Table", props);
    for (const index of Object.values(TABLE.indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        // Queries read the keys, then BatchGetItem the items (consistent, and half the index storage).
        projectionType: ProjectionType.KEYS_ONLY,
      });
    }
  }

  /** The ARN of one index, for least-privilege query grants (never `index/*`). */
  indexArn(name: string): string {
    if (!Object.values(TABLE.indexes).some((i) => i.name === name))
      throw new Error(`the table has no index ${name}`);
    return `${this.table.tableArn}/index/${name}`;
  }
}
