// Package database provides the Database component: Multi-AZ RDS for PostgreSQL.
package database

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/internal/config"
)

// DatabaseArgs configures a Database.
type DatabaseArgs struct {
	VpcID pulumi.StringInput
	// DataSubnetIDs are the data subnets, one per AZ.
	DataSubnetIDs pulumi.StringArray
	// ClientSecurityGroupID is the ess pool's group, the only source allowed on 5432.
	ClientSecurityGroupID pulumi.StringInput
	Settings              config.Database
	// ParameterPath is the SSM path where the endpoint and the secret's ARN are published.
	ParameterPath string
	Tags          map[string]string
}

// Database is an encrypted Multi-AZ PostgreSQL instance whose master password RDS manages in Secrets
// Manager.
type Database struct {
	pulumi.ResourceState

	Endpoint   pulumi.StringOutput `pulumi:"endpoint"`
	Address    pulumi.StringOutput `pulumi:"address"`
	Port       pulumi.IntOutput    `pulumi:"port"`
	Identifier pulumi.StringOutput `pulumi:"identifier"`
	// SecretArn is the ARN of the master user secret (never the secret itself).
	SecretArn       pulumi.StringOutput `pulumi:"secretArn"`
	KmsKeyArn       pulumi.StringOutput `pulumi:"kmsKeyArn"`
	SecurityGroupID pulumi.IDOutput     `pulumi:"securityGroupId"`
}

// NewDatabase creates the Database component.
func NewDatabase(ctx *pulumi.Context, name string, args *DatabaseArgs, opts ...pulumi.ResourceOption) (*Database, error) {
	panic("TODO")
}
